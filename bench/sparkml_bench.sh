#!/usr/bin/env bash
# Per-core throughput of the ClipEmbedder stage (bench/SparkMlThroughput.java) beside bin/clip embed's
# per-task rates, both in one Spark task with one ND4J thread, on the same prepped rows, in the same run.
#   bench/sparkml_bench.sh [WORK_DIR] [IMAGES]
# Builds nothing: run `mvn -DskipTests package` first. Models: the default recipe's and the PyTorch
# reference's "tiny" towers (as bench/embed_bench.sh), each trained for 2 steps to get a folder.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
WORK="${1:-/tmp/clip-sparkml-bench}"
IMAGES="${2:-2000}"
CP="$ROOT/spark-job/target/clip-spark-job.jar:$(cat "$ROOT/spark-job/target/classpath.txt")"
mkdir -p "$WORK"
cd "$WORK"
train_bench_models
generated_shards "$IMAGES"
# The JVM options bin/clip gives (Spark's opens on Java 17, the Vector API).
OPTS=$(sed -n '/^OPENS=(/,/)$/p' "$CLIP" | tr -d '()' | sed 's/^OPENS=//' | tr '\n' ' ')
for model in default wide; do
  echo "$model, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  rm -rf "index-$model"
  OMP_NUM_THREADS=1 "$CLIP" embed --model "$model/model" --data shards --out "index-$model" --master "local[1]" 2>/dev/null \
    | grep -E '^embed: this run'
  # shellcheck disable=SC2086
  OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE SPARK_LOCAL_IP=127.0.0.1 java -Xmx8g --add-modules=jdk.incubator.vector $OPTS \
    -cp "$CP" "$ROOT/bench/SparkMlThroughput.java" "$model/model" shards 2>/dev/null | grep '^sparkml'
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
