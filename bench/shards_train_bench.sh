#!/usr/bin/env bash
# Training the tiny architecture of bench/torch_dual_step.py (ViT 64 px/8, BERT with bert-base-uncased's 30,522-word
# vocabulary, width 192, 4 + 4 layers, 3 heads, 32 tokens) at batch 64 from data-prep shards, beside PyTorch's step on
# the same model and batch measured in the same run (issue 14's "training from shards").
#   bench/shards_train_bench.sh [SHARDS] [STEPS] [WARMUP]
# SHARDS: a bin/clip prep output at 64 px whose val split has at least 64 images (default: bench/embed_bench.sh's,
# /tmp/clip-embed-bench/shards); training reads that split. Builds nothing: run `mvn -DskipTests package` first.
# Prints PyTorch's JSON line, then ours: each the median of STEPS (default 12) step times after WARMUP (default 10)
# untimed steps (the JVM compiles the step's code in its first steps, and the first shard is read then; PyTorch's
# steps are steady from its second, but it gets the same warm-up), and the ratio.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARDS="${1:-/tmp/clip-embed-bench/shards}"
STEPS="${2:-12}"
WARMUP="${3:-10}"
VOCAB="${VOCAB:-$ROOT/testdata/golden/tokenizers/bert-base-uncased/vocab.txt}"
OUT="$(mktemp -d)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
# the script leaves one step untimed and times the rest: the rest of the warm-up is dropped below
/usr/bin/python3 "$ROOT/bench/torch_dual_step.py" tiny $((WARMUP - 1 + STEPS)) 64 >"$OUT/torch.json"
"$ROOT/bin/clip" train default data.source=shards data.shards="$SHARDS" data.train-split=val data.val-split=val \
  data.val-limit=64 eval.templates=simple model.vocab="$VOCAB" model.image-size=64 model.patch-size=8 \
  model.hidden-size=192 model.layers=4 model.heads=3 model.projection-dim=128 model.max-text-length=32 \
  train.batch-size=64 train.steps=$((WARMUP + STEPS)) train.log-every=1 output.dir="$OUT/run" >"$OUT/train.log" 2>&1
python3 - "$OUT/run/train-log.jsonl" "$OUT/torch.json" "$STEPS" <<'PY'
import json, statistics, sys
steps = int(sys.argv[3])
# elapsed_s is logged at the end of each step: the last STEPS differences are the last STEPS steps
elapsed = [json.loads(line)["elapsed_s"] for line in open(sys.argv[1])]
ours = [b - a for a, b in zip(elapsed[-steps - 1:], elapsed[-steps:])]
torch = json.loads(open(sys.argv[2]).read().strip().splitlines()[-1])
theirs = torch["step_s_all"][-steps:]
print(json.dumps(torch))
print(json.dumps({"impl": "bin/clip train from shards", "batch": 64, "warmup_steps": len(elapsed) - steps,
                  "step_s_median": round(statistics.median(ours), 4), "step_s": [round(s, 4) for s in ours],
                  "pytorch_step_s_median": round(statistics.median(theirs), 4),
                  "ratio_step_time_vs_pytorch": round(statistics.median(ours) / statistics.median(theirs), 4)}))
PY
rm -rf "$OUT"
