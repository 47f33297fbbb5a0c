#!/usr/bin/env bash
# Training the tiny architecture of bench/torch_dual_step.py (ViT 64 px/8, BERT with bert-base-uncased's 30,522-word
# vocabulary, width 192, 4 + 4 layers, 3 heads, 32 tokens) at batch 64 from data-prep shards, beside PyTorch's step on
# the same model and batch measured in the same run (issue 14's "training from shards").
#   bench/shards_train_bench.sh [SHARDS] [STEPS]
# SHARDS: a bin/clip prep output at 64 px whose val split has at least 64 images (default: bench/embed_bench.sh's,
# /tmp/clip-embed-bench/shards); training reads that split. Builds nothing: run `mvn -DskipTests package` first.
# Prints PyTorch's JSON line, then ours: the median step time after the first two (JIT warm-up, first shard read).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARDS="${1:-/tmp/clip-embed-bench/shards}"
STEPS="${2:-14}"
VOCAB="${VOCAB:-$ROOT/testdata/golden/tokenizers/bert-base-uncased/vocab.txt}"
OUT="$(mktemp -d)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 "$ROOT/bench/torch_dual_step.py" tiny 6 64
"$ROOT/bin/clip" train default data.source=shards data.shards="$SHARDS" data.train-split=val data.val-split=val \
  data.val-limit=64 eval.templates=simple model.vocab="$VOCAB" model.image-size=64 model.patch-size=8 \
  model.hidden-size=192 model.layers=4 model.heads=3 model.projection-dim=128 model.max-text-length=32 \
  train.batch-size=64 train.steps="$STEPS" train.log-every=1 output.dir="$OUT/run" >"$OUT/train.log" 2>&1
python3 - "$OUT/run/train-log.jsonl" <<'PY'
import json, statistics, sys
elapsed = [json.loads(line)["elapsed_s"] for line in open(sys.argv[1])]
steps = [b - a for a, b in zip(elapsed[1:], elapsed[2:])]
print(json.dumps({"impl": "bin/clip train from shards", "batch": 64, "steps": len(elapsed),
                  "step_s_median_after_two": round(statistics.median(steps), 4), "step_s": [round(s, 4) for s in steps]}))
PY
rm -rf "$OUT"
