#!/usr/bin/env bash
#SBATCH --job-name=clip-train
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=1
#SBATCH --cpus-per-task=8
#SBATCH --time=24:00:00
#SBATCH --output=clip-train-%j.out
## GPUs and partition are site-specific; uncomment and adapt, or pass them to sbatch:
##SBATCH --gres=gpu:4
##SBATCH --partition=gpu
#
# sbatch cluster/multi_node.sh [RECIPE|FILE.conf] [key=value ...]       (run from the checkout)
#
# Trains clip.Train on a Spark standalone cluster started inside this allocation: a master on the
# first node, one worker per node (srun), one training worker per node (CPU: it uses the node's
# cores) or per GPU. The cluster is torn down when training ends, fails or the job is cancelled.
# Any #SBATCH line can be overridden on the sbatch command line (--nodes, --cpus-per-task, ...).
#
# Environment (all optional):
#   CLIP_HOME       the checkout, on a filesystem every node sees (default: where sbatch was run)
#   CLIP_SCRATCH    node-local folder for Spark's work and shuffle files (default: $TMPDIR or /tmp)
#   CLIP_JOB_DIR    shared folder for this job's logs and Spark config (default: CLIP_HOME/runs/slurm-JOBID)
#   CLIP_SPARK_PORT the master's port (default: derived from the job id)
#   CLIP_DRIVER_JAVA_OPTS, CLIP_DAEMON_JAVA_OPTS   JVM options of the driver and of the daemons
# Site setup (module loads, a Java 17 on PATH) goes at the marked line below.
set -euo pipefail

# --- site setup: e.g. module load java/17 ---

CLIP_HOME="${CLIP_HOME:-${SLURM_SUBMIT_DIR:-$PWD}}"
[[ -x "$CLIP_HOME/cluster/spark-submit" ]] || {
  echo "multi_node.sh: $CLIP_HOME is not the project checkout; run sbatch from it or set CLIP_HOME" >&2; exit 2; }
: "${SLURM_JOB_ID:?multi_node.sh runs inside a SLURM allocation: sbatch cluster/multi_node.sh}"
JOB_DIR="${CLIP_JOB_DIR:-$CLIP_HOME/runs/slurm-$SLURM_JOB_ID}"
SCRATCH="${CLIP_SCRATCH:-${TMPDIR:-/tmp}}/clip-$SLURM_JOB_ID"
PORT="${CLIP_SPARK_PORT:-$((20000 + SLURM_JOB_ID % 20000))}"
mapfile -t NODES < <(scontrol show hostnames "$SLURM_JOB_NODELIST")
MASTER_HOST="${NODES[0]}"
CORES="${SLURM_CPUS_PER_TASK:-${SLURM_CPUS_ON_NODE:-1}}"
GPUS="${SLURM_GPUS_ON_NODE:-0}"
WORKER_MEMORY_MB=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 8 / 10 ))
EXECUTOR_MEMORY_MB=$(( WORKER_MEMORY_MB - 1024 ))
if [[ "$GPUS" -gt 0 ]]; then TRAIN_WORKERS=$(( ${#NODES[@]} * GPUS )); else TRAIN_WORKERS=${#NODES[@]}; fi

# Spark authentication with a secret made for this job, in files only this user can read (never
# on a command line, where other users of a node could see it in ps).
mkdir -p "$JOB_DIR/logs"
SECRET="$(head -c 32 /dev/urandom | base64 | tr -d '\n')"
export CLIP_SPARK_PROPERTIES="$JOB_DIR/spark.properties"
(umask 077; {
  echo "spark.authenticate=true"
  echo "spark.authenticate.secret=$SECRET"
  if [[ "$GPUS" -gt 0 ]]; then
    echo "spark.worker.resource.gpu.amount=$GPUS"
    echo "spark.worker.resource.gpu.discoveryScript=$CLIP_HOME/cluster/gpus.sh"
  fi
} > "$CLIP_SPARK_PROPERTIES")

STEPS=()
cleanup() {
  local code=$?
  trap - EXIT INT TERM
  for pid in "${STEPS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${STEPS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -f "$CLIP_SPARK_PROPERTIES"
  srun --overlap --nodes="${#NODES[@]}" --ntasks-per-node=1 rm -rf "$SCRATCH" 2>/dev/null || true
  echo "multi_node.sh: cluster stopped (exit $code)"
  exit "$code"
}
trap cleanup EXIT
trap 'exit 143' INT TERM

echo "multi_node.sh: job $SLURM_JOB_ID on ${NODES[*]}: master $MASTER_HOST:$PORT, $TRAIN_WORKERS training worker(s), logs in $JOB_DIR/logs"
srun --overlap --nodes=1 --ntasks=1 -w "$MASTER_HOST" --cpus-per-task=1 \
  env SPARK_LOCAL_DIRS="$SCRATCH/local" "$CLIP_HOME/cluster/spark-daemon.sh" master --host "$MASTER_HOST" --port "$PORT" \
  --webui-port 0 > "$JOB_DIR/logs/master.log" 2>&1 &
STEPS+=($!)
for _ in $(seq 1 300); do
  (exec 3<>"/dev/tcp/$MASTER_HOST/$PORT") 2>/dev/null && break
  sleep 0.2
done
# One worker per node; %N in the log name keeps each node's log apart.
srun --overlap --nodes="${#NODES[@]}" --ntasks-per-node=1 --cpus-per-task="$CORES" --kill-on-bad-exit=0 \
  --output="$JOB_DIR/logs/worker-%N.log" \
  bash -c 'mkdir -p "$0/work" "$0/local" && SPARK_LOCAL_DIRS="$0/local" exec "$1/cluster/spark-daemon.sh" worker \
    --host "$(hostname -s 2>/dev/null || hostname)" --cores "$2" --memory "$3"m --work-dir "$0/work" --webui-port 0 "$4"' \
  "$SCRATCH" "$CLIP_HOME" "$CORES" "$WORKER_MEMORY_MB" "spark://$MASTER_HOST:$PORT" &
STEPS+=($!)
for _ in $(seq 1 600); do
  registered=$(grep -c "Registering worker" "$JOB_DIR/logs/master.log" 2>/dev/null || true)
  [[ "$registered" -ge "${#NODES[@]}" ]] && break
  sleep 0.2
done
[[ "${registered:-0}" -ge "${#NODES[@]}" ]] || {
  echo "multi_node.sh: only ${registered:-0} of ${#NODES[@]} Spark workers registered in 120 s; see $JOB_DIR/logs" >&2; exit 1; }

CONFS=(--conf spark.executor.memory="${EXECUTOR_MEMORY_MB}m" --conf spark.ui.enabled=false)
if [[ "$GPUS" -gt 0 ]]; then
  CONFS+=(--conf spark.executor.resource.gpu.amount="$GPUS" --conf spark.task.resource.gpu.amount=1
          --conf spark.task.cpus=$(( CORES / GPUS > 0 ? CORES / GPUS : 1 )))
else
  # one training worker per node, owning all its cores (ND4J parallelizes inside a worker)
  CONFS+=(--conf spark.executor.cores="$CORES" --conf spark.task.cpus="$CORES")
fi
"$CLIP_HOME/cluster/spark-submit" --master "spark://$MASTER_HOST:$PORT" --properties-file "$CLIP_SPARK_PROPERTIES" \
  "${CONFS[@]}" --class clip.Train "$CLIP_HOME/spark-job/target/clip-spark-job.jar" "dist.workers=$TRAIN_WORKERS" "$@"
