#!/usr/bin/env bash
# slurm/start.sh DIR [--hosts N [--name P]]: a SLURM cluster (munged, slurmctld, slurmd) with all its
# state in DIR, for development and CI. Needs slurmctld, slurmd, slurm-client and munge (Debian
# packages), and root (slurmd starts job steps as their users). Prints the line to export so that
# sbatch, squeue and scontrol talk to it: export SLURM_CONF=DIR/slurm.conf. slurm/stop.sh DIR ends it.
#   (no option)       one node, "localhost", on this machine's loopback
#   --hosts N         N nodes P-h0 .. P-h(N-1), one slurmd on each host that cluster/netns.sh up made
#                     (start those first), the controller on P-h0; SLURM commands must then run on a
#                     host: cluster/netns.sh exec 0 --name P -- sbatch ...
set -euo pipefail
usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; }
[[ $# -ge 1 && "$1" != -* ]] || { usage >&2; exit 2; }
TARGET="$1"; shift
HOSTS=""; NAME=clip
while [[ $# -gt 0 ]]; do
  case "$1" in
    --hosts) HOSTS="$2"; shift 2 ;;
    --name) NAME="$2"; shift 2 ;;
    *) echo "slurm/start.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done
for tool in munged slurmctld slurmd sbatch python3; do
  command -v "$tool" >/dev/null || [[ -x "/usr/sbin/$tool" ]] || {
    echo "slurm/start.sh: $tool not found; install it: apt-get install slurmctld slurmd slurm-client munge python3 (bin/test does)" >&2; exit 2; }
done
[[ "$(id -u)" -eq 0 ]] || { echo "slurm/start.sh: needs root (slurmd starts job steps as their users)" >&2; exit 2; }
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
NETNS="$HERE/../cluster/netns.sh"
mkdir -p "$TARGET"; DIR="$(cd "$TARGET" && pwd)"
mkdir -p "$DIR/munge" "$DIR/state" "$DIR/spool"
chmod 755 "$DIR"; chmod 700 "$DIR/munge"
MEMORY_MB=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 8 / 10 ))

if [[ -z "$HOSTS" ]]; then
  free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
  CTLD_PORT=$(free_port); SLURMD_PORT=$(free_port)
  NODES=(localhost); CONTROLLER="localhost(127.0.0.1)"
  node_line() { echo "NodeName=localhost NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$MEMORY_MB State=UNKNOWN"; }
  mkdir -p "$DIR/spool/localhost"
  on_node() { shift; "$@"; }
else
  [[ "$HOSTS" =~ ^[0-9]+$ && "$HOSTS" -ge 1 ]] || { echo "slurm/start.sh: --hosts needs a count" >&2; exit 2; }
  # Every host has its own ports, so the standard ones are free on each.
  CTLD_PORT=6817; SLURMD_PORT=6818
  NODES=(); for i in $(seq 0 $((HOSTS - 1))); do NODES+=("$NAME-h$i"); done
  for node in "${NODES[@]}"; do
    ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$node" || {
      echo "slurm/start.sh: no host $node; make the hosts first: cluster/netns.sh up --hosts $HOSTS --name $NAME" >&2; exit 2; }
  done
  for node in "${NODES[@]}"; do mkdir -p "$DIR/spool/$node"; done
  CONTROLLER="$NAME-h0(198.18.0.1)"
  node_line() { echo "NodeName=$1 NodeAddr=198.18.0.$(( ${1##*-h} + 1 )) CPUs=$(nproc) RealMemory=$MEMORY_MB State=UNKNOWN"; }
  on_node() { local node="$1"; shift; "$NETNS" exec "${node##*-h}" --name "$NAME" -- "$@"; }
fi

{
  sed -e "s|@DIR@|$DIR|g" -e "s|@USER@|$(id -un)|g" -e "s|@CTLD_PORT@|$CTLD_PORT|g" -e "s|@SLURMD_PORT@|$SLURMD_PORT|g" \
      -e "s|@CONTROLLER@|$CONTROLLER|g" "$HERE/slurm.conf.template"
  for node in "${NODES[@]}"; do node_line "$node"; done
  echo "PartitionName=debug Nodes=$(IFS=,; echo "${NODES[*]}") Default=YES MaxTime=INFINITE State=UP"
} > "$DIR/slurm.conf"
export SLURM_CONF="$DIR/slurm.conf"

[[ -f "$DIR/munge/munge.key" ]] || { dd if=/dev/urandom of="$DIR/munge/munge.key" bs=1024 count=1 2>/dev/null; chmod 400 "$DIR/munge/munge.key"; }
# -f: munged refuses to run as root without it; the socket folder is private to this user anyway.
# One munged serves every host: its socket is a file, and the hosts share the filesystem.
/usr/sbin/munged -f --socket="$DIR/munge/munge.socket" --key-file="$DIR/munge/munge.key" --log-file="$DIR/munge/munged.log" \
  --pid-file="$DIR/munge/munged.pid" --seed-file="$DIR/munge/munged.seed"
on_node "${NODES[0]}" /usr/sbin/slurmctld -i
for node in "${NODES[@]}"; do on_node "$node" /usr/sbin/slurmd -N "$node"; done
for _ in $(seq 1 150); do
  idle=$(on_node "${NODES[0]}" sinfo -h -N -o '%T' 2>/dev/null | grep -cx idle || true)
  if [[ "$idle" -eq "${#NODES[@]}" ]]; then
    echo "export SLURM_CONF=$DIR/slurm.conf"
    [[ -z "$HOSTS" ]] || echo "# SLURM commands run on a host: cluster/netns.sh exec 0 --name $NAME -- sbatch ..."
    exit 0
  fi
  sleep 0.2
done
echo "slurm/start.sh: ${idle:-0} of ${#NODES[@]} node(s) became idle within 30 s; see $DIR/slurmctld.log and $DIR/slurmd-*.log" >&2
"$HERE/stop.sh" "$DIR"; exit 1
