# Set-up the bench scripts share, sourced by them, not run. Sets ROOT (the checkout) and CLIP (its
# bin/clip), and defines the functions below.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CLIP="$ROOT/bin/clip"

# --- Models and data of the embedding benchmarks (embed_bench.sh, sparkml_bench.sh, onnx_bench.sh) ---
# Made in the current folder and kept there: a second run in the same folder times the same models on
# the same data.

# default/model, the default recipe's towers, and wide/model, the PyTorch training reference's "tiny"
# towers (bench/torch_dual_step.py: 64 px, width 192, 4 + 4 layers). Each is trained for 2 steps only,
# to get a model folder: speed does not depend on the weights.
train_bench_models() {
  [[ -f default/model/config.json ]] || "$CLIP" train default train.steps=2 output.dir=default >default.log
  [[ -f wide/model/config.json ]] || "$CLIP" train default train.steps=2 output.dir=wide model.image-size=64 \
    model.hidden-size=192 model.layers=4 model.heads=3 model.projection-dim=128 >wide.log
}

# generated_shards IMAGES: shards/, data-prep shards at 64 px of a generated COCO-layout set whose val
# split has IMAGES images (its JPEGs and captions stay in coco/).
generated_shards() {
  [[ -f shards/manifest.json ]] || { "$CLIP" generate --out coco --train 2 --val "$1" >/dev/null &&
    "$CLIP" prep --format coco --root coco --out shards --image-size 64 >prep.log; }
}

# --- A Spark standalone cluster on one machine (coco_rehearsal.sh, overlap_bench.sh; as root) ---
# Hosts NAME-h0..h2 in network namespaces (cluster/netns.sh): the master, and the drivers the scripts
# submit, on host 0; a worker on each of hosts 1 and 2. The sourcing script sets NAME, and WORK, where
# the workers keep their work folders.
HOSTS=3
MASTER="spark://198.18.0.1:7077"
DAEMONS=()

# need_root_and_build: exits, naming the script, unless it runs as root (the hosts are network
# namespaces) in a built checkout.
need_root_and_build() {
  [[ $(id -u) -eq 0 ]] || { echo "$(basename "$0"): needs root (network namespaces)" >&2; exit 1; }
  [[ -f "$ROOT/spark-job/target/clip-spark-job.jar" ]] || { echo "$(basename "$0"): build first (mvn -DskipTests package)" >&2; exit 1; }
}

# on_host H COMMAND...: runs COMMAND on host H, Spark bound to the host's address.
on_host() { local h="$1"; shift; "$ROOT/cluster/netns.sh" exec "$h" --name "$NAME" -- env "SPARK_LOCAL_IP=198.18.0.$((h + 1))" "$@"; }

# start_cluster LOG_DIR SUFFIX [cluster/netns.sh up options]: the hosts, the master and the workers,
# their logs LOG_DIR/netnsSUFFIX.log, masterSUFFIX.log and workerSUFFIX-H.log; returns once every
# worker has registered (exits after 300 s without).
start_cluster() {
  local logs="$1" suffix="$2" h deadline
  shift 2
  # Make the Spark home once, before three daemons would each remake it at the same time.
  bash -c "source '$ROOT/cluster/spark-env.sh'"
  "$ROOT/cluster/netns.sh" up --hosts "$HOSTS" --name "$NAME" "$@" > "$logs/netns$suffix.log"
  on_host 0 "$ROOT/cluster/spark-daemon.sh" master --host 198.18.0.1 --port 7077 --webui-port 0 > "$logs/master$suffix.log" 2>&1 &
  DAEMONS+=($!); disown
  for h in $(seq 1 $((HOSTS - 1))); do
    # One core a worker, and one ND4J thread an executor: the two executors then have a core each.
    # With PIN=1 each worker daemon, and so its executors, is bound to a core of its own (worker h
    # to core h-1, modulo the cores), as on hosts that do not share their cores.
    local pin=()
    [[ "${PIN:-}" == 1 ]] && pin=(taskset -c $(( (h - 1) % $(nproc) )))
    on_host "$h" "${pin[@]}" env OMP_NUM_THREADS=1 "$ROOT/cluster/spark-daemon.sh" worker --host "198.18.0.$((h + 1))" --cores 1 --memory 3g \
      --work-dir "$WORK/spark-work-$h" --webui-port 0 "$MASTER" > "$logs/worker$suffix-$h.log" 2>&1 &
    DAEMONS+=($!); disown
  done
  deadline=$((SECONDS + 300))
  until [[ $(grep -c "Registering worker" "$logs/master$suffix.log" 2>/dev/null) -ge $((HOSTS - 1)) ]]; do
    [[ $SECONDS -lt $deadline ]] || { echo "$(basename "$0"): workers did not register within 300 s" >&2
      tail "$logs/master$suffix.log" "$logs/worker$suffix"-*.log >&2; exit 1; }
    sleep 1
  done
}

# stop_cluster: kills everything that runs on the hosts (daemons, executors, drivers) and removes them.
stop_cluster() {
  local h pid
  for h in $(seq 0 $((HOSTS - 1))); do
    for pid in $(ip netns pids "$NAME-h$h" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
  done
  for pid in "${DAEMONS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  DAEMONS=()
  "$ROOT/cluster/netns.sh" down --name "$NAME" >/dev/null 2>&1 || true
}
