#!/usr/bin/env bash
# slurm/start.sh DIR: a one-node SLURM cluster (munged, slurmctld, slurmd) with all its state in
# DIR, for development and CI. Needs slurmctld, slurmd, slurm-client and munge (Debian packages),
# and root (slurmd starts job steps as their users). Prints the line to export so that sbatch,
# squeue and scontrol talk to it: export SLURM_CONF=DIR/slurm.conf. slurm/stop.sh DIR ends it.
set -euo pipefail
[[ $# -eq 1 ]] || { echo "usage: slurm/start.sh DIR" >&2; exit 2; }
for tool in munged slurmctld slurmd sbatch python3; do
  command -v "$tool" >/dev/null || [[ -x "/usr/sbin/$tool" ]] || {
    echo "slurm/start.sh: $tool not found; install it: apt-get install slurmctld slurmd slurm-client munge python3 (bin/test does)" >&2; exit 2; }
done
[[ "$(id -u)" -eq 0 ]] || { echo "slurm/start.sh: needs root (slurmd starts job steps as their users)" >&2; exit 2; }
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$1"; DIR="$(cd "$1" && pwd)"
mkdir -p "$DIR/munge" "$DIR/state" "$DIR/spool"
chmod 755 "$DIR"; chmod 700 "$DIR/munge"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
MEMORY_MB=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 8 / 10 ))
sed -e "s|@DIR@|$DIR|g" -e "s|@USER@|$(id -un)|g" -e "s|@CPUS@|$(nproc)|g" -e "s|@MEMORY_MB@|$MEMORY_MB|g" \
    -e "s|@CTLD_PORT@|$(free_port)|g" -e "s|@SLURMD_PORT@|$(free_port)|g" "$HERE/slurm.conf.template" > "$DIR/slurm.conf"
export SLURM_CONF="$DIR/slurm.conf"

[[ -f "$DIR/munge/munge.key" ]] || { dd if=/dev/urandom of="$DIR/munge/munge.key" bs=1024 count=1 2>/dev/null; chmod 400 "$DIR/munge/munge.key"; }
# -f: munged refuses to run as root without it; the socket folder is private to this user anyway.
/usr/sbin/munged -f --socket="$DIR/munge/munge.socket" --key-file="$DIR/munge/munge.key" --log-file="$DIR/munge/munged.log" \
  --pid-file="$DIR/munge/munged.pid" --seed-file="$DIR/munge/munged.seed"
/usr/sbin/slurmctld -i
/usr/sbin/slurmd -N localhost
for _ in $(seq 1 150); do
  if sinfo -h -o '%T' 2>/dev/null | grep -qx idle; then echo "export SLURM_CONF=$DIR/slurm.conf"; exit 0; fi
  sleep 0.2
done
echo "slurm/start.sh: the node did not become idle within 30 s; see $DIR/slurmctld.log and $DIR/slurmd.log" >&2
"$HERE/stop.sh" "$DIR"; exit 1
