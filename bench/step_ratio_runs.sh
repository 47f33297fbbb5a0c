#!/usr/bin/env bash
# The training step against PyTorch, as BENCHMARKS.md quotes it: RUNS runs of `bin/clip bench` (each
# measures PyTorch's step and ours in the same run), one line per run, then the medians of the ratios.
# The host's speed swings from run to run by more than the difference being measured, so a single
# run's ratio says little; BENCHMARKS.md quotes medians of several.
#   bench/step_ratio_runs.sh RUNS [bin/clip bench options, e.g. --config tiny --batch 64 --steps 20]
# Builds nothing: run `mvn -DskipTests package` first. Holds /tmp/clip-cpu.lock for each run, so that
# other CPU-heavy work that takes the same lock waits.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
RUNS="${1:?usage: bench/step_ratio_runs.sh RUNS [bin/clip bench options]}"
shift
for arg in "$@"; do
  [[ "$arg" != --no-torch ]] || { echo "step_ratio_runs.sh: the ratios need the PyTorch reference; drop --no-torch" >&2; exit 2; }
done
LINES="$(mktemp)"
trap 'rm -f "$LINES"' EXIT
for run in $(seq 1 "$RUNS"); do
  flock /tmp/clip-cpu.lock "$CLIP" bench "$@" 2>/dev/null | grep '^{' | tail -1 >>"$LINES"
done
python3 - "$LINES" <<'PY'
import json, statistics, sys
runs = [json.loads(line) for line in open(sys.argv[1])]
for i, r in enumerate(runs, 1):
    print("run %d: ours %.3f s/step, PyTorch %.3f s/step, time %.2fx, peak RSS %.2fx, load before %s" % (
        i, r["step_s_median"], r["pytorch_step_s_median"], r["ratio_step_time_vs_pytorch"],
        r["ratio_peak_rss_vs_pytorch"], r["load_average_before"]))
print("median of %d runs: time %.2fx, peak RSS %.2fx" % (
    len(runs), statistics.median(r["ratio_step_time_vs_pytorch"] for r in runs),
    statistics.median(r["ratio_peak_rss_vs_pytorch"] for r in runs)))
PY
