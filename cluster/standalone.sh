#!/usr/bin/env bash
# cluster/standalone.sh start|stop|status [options]
# A Spark standalone cluster (one master, N workers) from the project's own jars, on this machine.
# multi_node.sh uses the same pieces through srun on every node of a SLURM allocation.
#   --workers N    worker daemons to start (default 1)
#   --cores C      cores each worker offers (default: this machine's cores / N)
#   --memory M     memory each worker offers to executors (default 4g)
#   --host H       address to bind and advertise (default 127.0.0.1)
#   --port P       master port (default 7077)
#   --dir D        pids, logs and work folders (default $CLIP_CLUSTER_DIR or runs/cluster)
# start prints the master URL once every worker has registered; stop ends every daemon it started
# (and their executors) and waits until they are gone.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/spark-env.sh"

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; }
[[ $# -ge 1 ]] || { usage >&2; exit 2; }
ACTION="$1"; shift
WORKERS=1; CORES=""; MEMORY=4g; HOST=127.0.0.1; PORT=7077
DIR="${CLIP_CLUSTER_DIR:-$CLIP_ROOT/runs/cluster}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --workers) WORKERS="$2"; shift 2 ;;
    --cores) CORES="$2"; shift 2 ;;
    --memory) MEMORY="$2"; shift 2 ;;
    --host) HOST="$2"; shift 2 ;;
    --port) PORT="$2"; shift 2 ;;
    --dir) DIR="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "standalone.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ -n "$CORES" ]] || CORES=$(( $(nproc) / WORKERS > 0 ? $(nproc) / WORKERS : 1 ))
PIDS="$DIR/pids"; LOGS="$DIR/logs"

alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

start_daemon() { # name master|worker options...
  local name="$1"; shift
  SPARK_LOCAL_DIRS="$DIR/local" setsid nohup "$CLIP_ROOT/cluster/spark-daemon.sh" "$@" > "$LOGS/$name.log" 2>&1 < /dev/null &
  echo $! > "$PIDS/$name.pid"
}

stop_all() {
  local pidfile pid
  shopt -s nullglob
  for pidfile in "$PIDS"/*.pid; do
    alive "$pidfile" && kill -TERM "$(cat "$pidfile")" 2>/dev/null || true
  done
  for _ in $(seq 1 100); do
    local left=0
    for pidfile in "$PIDS"/*.pid; do alive "$pidfile" && left=1; done
    [[ $left -eq 0 ]] && break
    sleep 0.2
  done
  for pidfile in "$PIDS"/*.pid; do
    if alive "$pidfile"; then pid="$(cat "$pidfile")"; echo "standalone.sh: $(basename "$pidfile" .pid) (pid $pid) ignored SIGTERM; killing it" >&2; kill -KILL "$pid" 2>/dev/null || true; fi
    rm -f "$pidfile"
  done
}

case "$ACTION" in
  start)
    mkdir -p "$PIDS" "$LOGS" "$DIR/work" "$DIR/local"
    # Daemons run in the cluster folder, so whatever they write lands there and not in the caller's folder.
    DIR="$(cd "$DIR" && pwd)"; PIDS="$DIR/pids"; LOGS="$DIR/logs"; cd "$DIR"
    for pidfile in "$PIDS"/*.pid; do
      if alive "$pidfile"; then echo "standalone.sh: a cluster is already running from $DIR (stop it first)" >&2; exit 1; fi
    done
    start_daemon master master --host "$HOST" --port "$PORT" --webui-port 0
    # Workers that find no master back off for many seconds before retrying: start them once it listens.
    for _ in $(seq 1 300); do
      (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null && break
      if ! alive "$PIDS/master.pid"; then echo "standalone.sh: the master died; see $LOGS/master.log" >&2; stop_all; exit 1; fi
      sleep 0.2
    done
    for i in $(seq 1 "$WORKERS"); do
      start_daemon "worker-$i" worker --host "$HOST" --cores "$CORES" --memory "$MEMORY" \
        --work-dir "$DIR/work/worker-$i" --webui-port 0 "spark://$HOST:$PORT"
    done
    for _ in $(seq 1 600); do
      registered=$(grep -c "Registering worker" "$LOGS/master.log" 2>/dev/null || true)
      [[ "$registered" -ge "$WORKERS" ]] && { echo "spark://$HOST:$PORT"; exit 0; }
      if ! alive "$PIDS/master.pid"; then echo "standalone.sh: the master died; see $LOGS/master.log" >&2; stop_all; exit 1; fi
      sleep 0.2
    done
    echo "standalone.sh: only $registered of $WORKERS workers registered within 120 s; see $LOGS" >&2
    stop_all; exit 1 ;;
  stop) stop_all ;;
  status)
    shopt -s nullglob
    for pidfile in "$PIDS"/*.pid; do
      if alive "$pidfile"; then echo "$(basename "$pidfile" .pid) running (pid $(cat "$pidfile"))"; else echo "$(basename "$pidfile" .pid) dead"; fi
    done ;;
  *) usage >&2; exit 2 ;;
esac
