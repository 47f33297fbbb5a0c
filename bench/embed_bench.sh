#!/usr/bin/env bash
# Embedding throughput of bin/clip embed, per core and on both cores, beside PyTorch's forward pass of
# the same towers (torch_embed_forward.py) measured in the same run. BENCHMARKS.md quotes its output.
#   bench/embed_bench.sh [WORK_DIR] [IMAGES]
# Builds nothing: run `mvn -DskipTests package` first. Two model sizes: the default recipe's, and the
# PyTorch training reference's "tiny" towers (bench/torch_dual_step.py: 64 px, width 192,
# 4 + 4 layers). Each is trained for 2 steps only, to get a model folder (speed does not depend on the weights).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
WORK="${1:-/tmp/clip-embed-bench}"
IMAGES="${2:-2000}"
mkdir -p "$WORK"
cd "$WORK"
train_bench_models
generated_shards "$IMAGES"
for model in default wide; do
  for cores in 1 2; do
    echo "$model, $cores core(s), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
    /usr/bin/python3 "$ROOT/bench/torch_embed_forward.py" "$model/model" --images "$IMAGES" \
      --captions coco/annotations/captions_val2017.json --threads "$cores"
    rm -rf "index-$model-$cores"
    # One ND4J thread per task: local[N] then uses N cores, one task on each.
    OMP_NUM_THREADS=1 "$CLIP" embed --model "$model/model" --data shards --out "index-$model-$cores" \
      --master "local[$cores]" 2>/dev/null | grep -E '^embed: (wrote|this run)'
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
