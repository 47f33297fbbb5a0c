#!/usr/bin/env bash
# slurm/stop.sh DIR: ends the cluster slurm/start.sh DIR started (every node's slurmd, the controller,
# munged), and waits until its daemons are gone.
set -uo pipefail
[[ $# -eq 1 ]] || { echo "usage: slurm/stop.sh DIR" >&2; exit 2; }
DIR="$(cd "$1" && pwd)"
pids=()
for f in "$DIR"/slurmd-*.pid "$DIR/slurmctld.pid" "$DIR/munge/munged.pid"; do
  [[ -f "$f" ]] && pid="$(cat "$f")" && kill -0 "$pid" 2>/dev/null && { kill -TERM "$pid"; pids+=("$pid"); }
done
for _ in $(seq 1 100); do
  left=0; for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && left=1; done
  [[ $left -eq 0 ]] && exit 0
  sleep 0.2
done
for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
exit 0
