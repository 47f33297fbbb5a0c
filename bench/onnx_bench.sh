#!/usr/bin/env bash
# Batch embedding speed of our forward pass against ONNX Runtime 1.20 on the model bin/clip export --onnx
# writes from the same folder (bench/OnnxEmbedBench.java), with 1 and then 2 threads a side, in the same run.
#   bench/onnx_bench.sh [WORK_DIR] [COUNT]
# Builds nothing: run `mvn -DskipTests package` first. Models: the default recipe's and the "wide" towers of
# bench/embed_bench.sh (64 px, width 192, 4 + 4 layers), each trained for 2 steps to get a folder; and a
# resnet18 (64 px) + DistilBERT (width 256, 4 layers) with residual heads and fresh weights
# (bench/onnx/resnet18-distilbert.json, bench/RandomDualFolder.java), timed on COUNT / 4 inputs.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
WORK="${1:-/tmp/clip-onnx-bench}"
COUNT="${2:-1024}"
mkdir -p "$WORK"
cd "$WORK"
# ONNX Runtime is a test dependency of the core: its jar from the local repository, as Maven resolves it.
[[ -f ort-classpath.txt ]] || (cd "$ROOT" && mvn -B -ntp -o -q dependency:build-classpath -pl core -Dmdep.includeScope=test \
  -Dmdep.outputFile="$WORK/ort-classpath.txt" >/dev/null)
ORT_JAR=$(tr ':' '\n' <ort-classpath.txt | grep '/onnxruntime-[0-9.]*\.jar$')
TEST_JAR=$(ls "$ROOT"/core/target/clip-core-*-tests.jar)
CP="$ROOT/spark-job/target/clip-spark-job.jar:$(cat "$ROOT/spark-job/target/classpath.txt"):$TEST_JAR:$ORT_JAR"
JAVA=(java -Xmx4g --add-modules=jdk.incubator.vector -cp "$CP")
train_bench_models
[[ -f resnet/model/config.json ]] || "${JAVA[@]}" "$ROOT/bench/RandomDualFolder.java" "$ROOT/bench/onnx/resnet18-distilbert.json" \
  resnet/model 2>/dev/null
for model in default wide resnet; do
  [[ -d "repo/${model}_image" ]] || "$CLIP" export --onnx --model "$model/model" --out repo --name "$model" 2>/dev/null
done
echo "java $(java -version 2>&1 | head -1); $(nproc) cpus: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
for model in default wide resnet; do
  n=$COUNT
  [[ $model == resnet ]] && n=$((COUNT / 4))
  for threads in 1 2; do
    echo "$model, $threads thread(s), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
    OMP_NUM_THREADS=$threads OMP_WAIT_POLICY=PASSIVE "${JAVA[@]}" "$ROOT/bench/OnnxEmbedBench.java" "$model/model" repo "$model" \
      "$n" 64 2>/dev/null | grep '^onnx-bench'
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
