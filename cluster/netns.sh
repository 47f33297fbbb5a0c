#!/usr/bin/env bash
# cluster/netns.sh up|down|exec|list [options]: hosts on one machine, for rehearsing a cluster (as root).
#   up --hosts N [--name P] [--rate R]
#       N network namespaces P-h0 .. P-h(N-1) (default P = clip), each a host with its own address
#       198.18.0.(i+1)/24 on its eth0 and its own hostname P-hi; all joined by a bridge that lives
#       in a namespace of its own (P-switch), so nothing is added to this machine's own network.
#       --rate caps each host's outgoing bandwidth (tc tbf; a number and bit, kbit, mbit, gbit or
#       tbit, e.g. 1gbit, 2.5gbit), with a burst of 1 ms at the rate and at least 128 KiB.
#   exec I [--name P] -- COMMAND...   runs COMMAND on host I (its network, its hostname)
#   link I up|down [--name P]          plugs host I's cable in or pulls it out
#   down [--name P]                    removes every namespace and file that up made
#   list [--name P]                    prints each host's name and address
# 198.18.0.0/15 is the range reserved for network tests (RFC 2544): it is assigned only inside the
# namespaces made here, and the switch has no route out, so no packet leaves the machine.
# Every host sees the same files (same checkout, same /tmp), as nodes sharing a filesystem would.
set -euo pipefail
usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; }
[[ $# -ge 1 ]] || { usage >&2; exit 2; }
ACTION="$1"; shift
NAME=clip; HOSTS=""; RATE=""; ARGS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --hosts) HOSTS="$2"; shift 2 ;;
    --name) NAME="$2"; shift 2 ;;
    --rate) RATE="$2"; shift 2 ;;
    --) shift; ARGS+=("$@"); break ;;
    -h|--help) usage; exit 0 ;;
    *) ARGS+=("$1"); shift ;;
  esac
done
[[ "$NAME" =~ ^[a-z][a-z0-9]{0,7}$ ]] || { echo "netns.sh: --name must be 1-8 lower-case letters or digits, got '$NAME'" >&2; exit 2; }
SWITCH="$NAME-switch"

need_root() { [[ $(id -u) -eq 0 ]] || { echo "netns.sh: $ACTION needs root (network namespaces); run it with sudo" >&2; exit 1; }; }
hosts_made() { ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^$NAME-h[0-9]+$" | sort -t h -k2 -n || true; }
address() { echo "198.18.0.$(( $1 + 1 ))"; }
# burst RATE: tbf's bucket in bytes, 1 ms at RATE and at least 128 KiB. A bucket smaller than a
# GSO packet (64 KiB) makes tbf cut every such packet into MTU-sized ones, and a small one wakes its
# timer every few microseconds at high rates: with a fixed 32 KB bucket, a "10gbit" cap made the
# tiny architecture's 2-host step 16-35% longer (BENCHMARKS.md, "the cap's bucket").
burst() {
  local scale
  [[ "$1" =~ ^([0-9]+(\.[0-9]+)?)(bit|kbit|mbit|gbit|tbit)$ ]] || {
    echo "netns.sh: --rate takes a number and bit, kbit, mbit, gbit or tbit (e.g. 1gbit, 2.5gbit), got '$1'" >&2; exit 2; }
  case "${BASH_REMATCH[3]}" in bit) scale=1 ;; kbit) scale=1e3 ;; mbit) scale=1e6 ;; gbit) scale=1e9 ;; tbit) scale=1e12 ;; esac
  awk -v r="${BASH_REMATCH[1]}" -v s="$scale" 'BEGIN { b = int(r * s / 8 / 1000); printf "%d\n", (b > 131072 ? b : 131072) }'
}

case "$ACTION" in
  up)
    need_root
    [[ -z "$RATE" ]] || burst "$RATE" > /dev/null
    [[ "$HOSTS" =~ ^[0-9]+$ && "$HOSTS" -ge 1 && "$HOSTS" -le 200 ]] || { echo "netns.sh: up needs --hosts N (1 to 200)" >&2; exit 2; }
    [[ -z "$(hosts_made)" ]] || { echo "netns.sh: hosts named $NAME-h* already exist (run: cluster/netns.sh down --name $NAME)" >&2; exit 1; }
    # A half-made set of hosts is removed again, so a failed up leaves nothing behind.
    trap '"$0" down --name "$NAME" >/dev/null 2>&1 || true' ERR
    ip netns add "$SWITCH"
    ip -n "$SWITCH" link add br0 type bridge
    ip -n "$SWITCH" link set br0 up
    hostsfile=$(mktemp)
    printf '127.0.0.1\tlocalhost\n' > "$hostsfile"
    for i in $(seq 0 $((HOSTS - 1))); do printf '%s\t%s-h%d\n' "$(address "$i")" "$NAME" "$i" >> "$hostsfile"; done
    for i in $(seq 0 $((HOSTS - 1))); do
      host="$NAME-h$i"
      ip netns add "$host"
      ip link add "$NAME-v$i" type veth peer name eth0 netns "$host"
      ip link set "$NAME-v$i" netns "$SWITCH"
      ip -n "$SWITCH" link set "$NAME-v$i" master br0
      ip -n "$SWITCH" link set "$NAME-v$i" up
      ip -n "$host" addr add "$(address "$i")/24" dev eth0
      ip -n "$host" link set lo up
      ip -n "$host" link set eth0 up
      [[ -z "$RATE" ]] || ip netns exec "$host" tc qdisc add dev eth0 root tbf rate "$RATE" burst "$(burst "$RATE")" latency 400ms
      # `ip netns exec` mounts /etc/netns/<ns>/hosts over /etc/hosts: every host resolves every other by name.
      mkdir -p "/etc/netns/$host"
      cp "$hostsfile" "/etc/netns/$host/hosts"
    done
    rm -f "$hostsfile"
    trap - ERR
    echo "netns.sh: $HOSTS host(s) up${RATE:+, each capped at $RATE}:"
    "$0" list --name "$NAME"
    echo "run a command on host I with: cluster/netns.sh exec I --name $NAME -- COMMAND..." ;;
  exec)
    need_root
    [[ ${#ARGS[@]} -ge 2 && "${ARGS[0]}" =~ ^[0-9]+$ ]] || { echo "netns.sh: usage: exec I [--name P] -- COMMAND..." >&2; exit 2; }
    host="$NAME-h${ARGS[0]}"
    ip netns list | awk '{print $1}' | grep -qx "$host" || { echo "netns.sh: no host $host (run: cluster/netns.sh up)" >&2; exit 1; }
    # `ip netns exec` mounts a fresh /sys for the host, without the cgroup hierarchies that daemons
    # such as slurmd look for: mount the ones this machine has again, in the same order.
    cgroups=$(awk '$2 ~ "^/sys/fs/cgroup" {print $2, $3, $4}' /proc/self/mounts)
    # Its own UTS namespace gives the host its own hostname without touching this machine's.
    exec ip netns exec "$host" unshare --uts -- sh -c '
      printf "%s\n" "$1" | while read -r dir type options; do
        [ -n "$dir" ] && mkdir -p "$dir" && mount -t "$type" -o "$options" "$type" "$dir" 2>/dev/null
      done
      hostname "$0" && shift && exec "$@"' "$host" "$cgroups" "${ARGS[@]:1}" ;;
  link)
    need_root
    [[ ${#ARGS[@]} -eq 2 && "${ARGS[0]}" =~ ^[0-9]+$ && "${ARGS[1]}" =~ ^(up|down)$ ]] || { echo "netns.sh: usage: link I up|down" >&2; exit 2; }
    ip -n "$SWITCH" link set "$NAME-v${ARGS[0]}" "${ARGS[1]}" ;;
  down)
    need_root
    for host in $(hosts_made); do ip netns del "$host"; rm -rf "/etc/netns/$host"; done
    ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$SWITCH" && ip netns del "$SWITCH"
    rmdir /etc/netns 2>/dev/null || true ;;
  list)
    for host in $(hosts_made); do i="${host##*-h}"; printf '%s\t%s\n' "$host" "$(address "$i")"; done ;;
  *) usage >&2; exit 2 ;;
esac
