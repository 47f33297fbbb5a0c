#!/usr/bin/env bash
# bench/coco_rehearsal.sh [--fraction F] [--steps N] [--work DIR] [--name P] [--data DIR] [--heap SIZE] [--keep]: the COCO-size dress rehearsal
# (issue 16 §2), as root. Generates a dataset of COCO 2017's sizes times F (default 1: 118,287 train
# images with 591,753 captions, 5,000 val images with 25,014 captions) in COCO's exact layout, small
# images (--long-side 80 px JPEG, prepped to 64 px); starts hosts in network namespaces
# (cluster/netns.sh, hosts P-h0..P-h2, default P = coco: the driver and a Spark standalone master on
# host 0, a worker of one core on each
# of hosts 1 and 2); then, each stage its own `flock /tmp/clip-cpu.lock` so other work can interleave:
#   generate  bin/clip generate (this machine, one JVM)
#   prep      clip.Prep on the cluster (driver on host 0, executors on hosts 1-2)
#   train     clip.Train, the tiny recipe on the shards for N steps (default 300), dist.workers=2
#   eval      bin/clip eval of the trained model on the val split (COCO's 5k protocol), one JVM
#   embed     clip.Embed on the cluster, every image and caption of both splits (two jobs)
#   search    bin/clip search, a text query over the train images and an image query over its captions
# (--data DIR: skip generate and use a dataset it generated before at the same fraction, kept;
# --heap SIZE, e.g. 512m: every JVM's heap at most SIZE, drivers and executors (default: bin/clip's
# 8g, spark-submit's 4g, executors 2g); a stage that held the dataset in one JVM would fail. Spark
# needs at least 512m. Its rows go to coco-rehearsal-F-heap-SIZE.tsv.)
# and prints a table per stage: wall time, peak resident memory of the driver (/usr/bin/time -v of
# its JVM) and of the largest executor (VmHWM from /proc, read every half second while it runs),
# and bytes written. Namespaces, daemons and (unless --keep) the data are removed at the end, also
# on failure. Measurements go to WORK/../coco-rehearsal-F.tsv (kept), logs to WORK/logs.
# Needs a built checkout (mvn -DskipTests package); BENCHMARKS.md quotes its output.
set -euo pipefail
# The whole script is one block, read before it runs, so editing the file meanwhile cannot change a run.
{
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
FRACTION=1; STEPS=300; WORK=""; KEEP=0; GIVEN_DATA=""; HEAP=""
NAME=coco
while [[ $# -gt 0 ]]; do
  case "$1" in
    --name) NAME="$2"; shift 2 ;;
    --fraction) FRACTION="$2"; shift 2 ;;
    --steps) STEPS="$2"; shift 2 ;;
    --work) WORK="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --data) GIVEN_DATA="$2"; shift 2 ;;
    --heap) HEAP="$2"; shift 2 ;;
    -h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "coco_rehearsal.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
need_root_and_build
WORK="${WORK:-/tmp/coco-rehearsal-$FRACTION}"
RESULTS="$(dirname "$WORK")/coco-rehearsal-$FRACTION${HEAP:+-heap-$HEAP}.tsv"
EXECUTOR_MEMORY=2g
if [[ -n "$HEAP" ]]; then
  # bin/clip and cluster/spark-submit take their JVM options from these; `ip netns exec` passes them on.
  export CLIP_JAVA_OPTS="-Xmx$HEAP" CLIP_DRIVER_JAVA_OPTS="-Xmx$HEAP"
  EXECUTOR_MEMORY="$HEAP"
fi
scaled() { awk -v n="$1" -v f="$FRACTION" 'BEGIN { printf "%d", n * f + 0.5 }'; }
TRAIN=$(scaled 118287); TRAIN_CAPTIONS=$(scaled 591753); VAL=$(scaled 5000); VAL_CAPTIONS=$(scaled 25014)
LOCK=/tmp/clip-cpu.lock
JAR="$ROOT/spark-job/target/clip-spark-job.jar"
DATA="$WORK/coco"; SHARDS="$WORK/shards"; RUN="$WORK/run"; EVAL="$WORK/eval"; INDEX="$WORK/index"; LOGS="$WORK/logs"
rm -rf "$WORK"; mkdir -p "$LOGS"

cleanup() {
  [[ -n "${SAMPLER:-}" ]] && kill "$SAMPLER" 2>/dev/null || true
  stop_cluster
  if [[ $KEEP -eq 0 ]]; then rm -rf "$SHARDS" "$RUN" "$EVAL" "$INDEX"; [[ -n "$GIVEN_DATA" ]] || rm -rf "$DATA"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Peak RSS of every executor JVM on the worker hosts, read every half second into $1 (pid peak_kB).
sample_executors() {
  local out="$1"; : > "$out"
  while true; do
    for h in $(seq 1 $((HOSTS - 1))); do
      for pid in $(ip netns pids "$NAME-h$h" 2>/dev/null); do
        grep -q CoarseGrainedExecutorBackend "/proc/$pid/cmdline" 2>/dev/null || continue
        kb=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null) || continue
        [[ -n "$kb" ]] && echo "$pid $kb" >> "$out"
      done
    done
    sleep 0.5
  done
}

mib() { awk -v k="$1" 'BEGIN { if (k == "") print "-"; else printf "%d", k / 1024 }'; }

# With --data the rows go after those of the run that generated the data.
[[ -n "$GIVEN_DATA" && -f "$RESULTS" ]] || printf 'fraction\tstage\twall_s\tdriver_peak_MiB\texecutor_peak_MiB\tbytes_written\tload_1min\tnote\n' > "$RESULTS"
# stage NAME OUTPUT_DIR NOTE COMMAND...: runs COMMAND under the CPU lock and records one row.
stage() {
  local name="$1" out="$2" note="$3"; shift 3
  local samples="$LOGS/$name.executors" timing="$LOGS/$name.time"
  sample_executors "$samples" & SAMPLER=$!
  local start end
  echo "rehearsal: $name (waiting for the CPU lock)..."
  # The wall time starts when the lock is held, so waiting for other agents' work is not counted.
  flock "$LOCK" bash -c 'date +%s.%N > "$0.start"; cut -d" " -f1 /proc/loadavg > "$0.load"; exec /usr/bin/time -v -o "$0" "$@"' "$timing" "$@" > "$LOGS/$name.log" 2>&1 \
    || { kill "$SAMPLER"; SAMPLER=""; echo "rehearsal: $name failed; its log:" >&2; tail -30 "$LOGS/$name.log" >&2; exit 1; }
  end=$(date +%s.%N); start=$(cat "$timing.start")
  kill "$SAMPLER"; wait "$SAMPLER" 2>/dev/null || true; SAMPLER=""
  local wall driver exec bytes load
  load="$(cat "$timing.load")-$(cut -d' ' -f1 /proc/loadavg)"
  wall=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
  driver=$(mib "$(awk -F': ' '/Maximum resident set size/ {print $2}' "$timing")")
  exec=$(mib "$(sort -k2 -n "$samples" | tail -1 | cut -d' ' -f2)")
  bytes=0; [[ -n "$out" && -e "$out" ]] && bytes=$(du -sb "$out" | cut -f1)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$FRACTION" "$name" "$wall" "$driver" "$exec" "$bytes" "$load" "$note" | tee -a "$RESULTS"
}

echo "rehearsal: fraction $FRACTION: $TRAIN train images / $TRAIN_CAPTIONS captions, $VAL val images / $VAL_CAPTIONS captions, in $WORK${HEAP:+, every heap at most $HEAP}"
df -h "$(dirname "$WORK")" | tail -1

if [[ -n "$GIVEN_DATA" ]]; then
  # A dataset this script generated before at the same fraction (its generate row is in that run's results).
  DATA="$GIVEN_DATA"
  echo "rehearsal: using the dataset at $DATA (not generated, not removed)"
else
stage generate "$DATA" "80 px JPEGs" "$CLIP" generate --out "$DATA" --train "$TRAIN" --train-captions "$TRAIN_CAPTIONS" \
  --val "$VAL" --val-captions "$VAL_CAPTIONS" --long-side 80
fi

start_cluster "$LOGS" ""
echo "rehearsal: Spark master on 198.18.0.1, $((HOSTS - 1)) workers registered"

# The driver runs on host 0; /usr/bin/time measures its JVM (netns.sh exec and spark-submit exec into it).
SUBMIT=("$ROOT/cluster/netns.sh" exec 0 --name "$NAME" -- env SPARK_LOCAL_IP=198.18.0.1 "$ROOT/cluster/spark-submit"
  --master "$MASTER" --conf spark.driver.host=198.18.0.1 --conf spark.executor.memory=$EXECUTOR_MEMORY --conf spark.cores.max=2)

stage prep "$SHARDS" "64 px, 2 executors" "${SUBMIT[@]}" --class clip.Prep "$JAR" --format coco --root "$DATA" --out "$SHARDS" --image-size 64
stage train "$RUN" "tiny, $STEPS steps, 2 workers on 2 hosts" "${SUBMIT[@]}" --class clip.Train "$JAR" tiny dist.workers=2 \
  data.source=shards data.shards="$SHARDS" train.steps="$STEPS" train.log-every=50 output.dir="$RUN"
stage eval "$EVAL" "val split, $VAL images x $VAL_CAPTIONS captions" "$CLIP" eval --model "$RUN/model" --data "$SHARDS" \
  --out "$EVAL" --templates simple --pictures 0
# Embedding is one stage (both splits, one job after the other) and so is search (both queries), so
# each takes the CPU lock once; the driver's peak is the larger of the two JVMs'.
script() { local file="$LOGS/$1.sh"; shift; printf '%s\n' "set -e" > "$file"; for line in "$@"; do printf '%s\n' "$line" >> "$file"; done; echo "$file"; }
quoted() { printf '%q ' "$@"; }
stage embed "$INDEX" "train: $TRAIN + $TRAIN_CAPTIONS, val: $VAL + $VAL_CAPTIONS embeddings" bash "$(script embed \
  "$(quoted "${SUBMIT[@]}" --class clip.Embed "$JAR" --model "$RUN/model" --data "$SHARDS" --split train --out "$INDEX/train")" \
  "$(quoted "${SUBMIT[@]}" --class clip.Embed "$JAR" --model "$RUN/model" --data "$SHARDS" --split val --out "$INDEX/val")")"
stage search "" "a text over $TRAIN images, an image over $TRAIN_CAPTIONS captions" bash "$(script search \
  "$(quoted "$CLIP" search --model "$RUN/model" --index "$INDEX/train" "a large red circle in the center" --top 5)" \
  "$(quoted "$CLIP" search --model "$RUN/model" --index "$INDEX/train" --image "$DATA/val2017/000001000000.jpg" --top 5)")"

echo "rehearsal: metrics of the $VAL-image evaluation:"; cat "$EVAL/summary.txt" 2>/dev/null || true
echo "rehearsal: the searches:"; grep -E '^ *[0-9]+ |^search:' "$LOGS/search.log" || true
echo "rehearsal: done; measurements in $RESULTS"
exit 0
}
