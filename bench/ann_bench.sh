#!/usr/bin/env bash
# The approximate index (bin/clip index, Lucene HNSW) against exact search (bin/clip search --exact) on
# generated unit vectors written as an embedding index: build time, index size, query latency (median,
# p99) and recall@10 against the true nearest ten, and the exact search's latency, in the same run.
#   flock /tmp/clip-cpu.lock bench/ann_bench.sh [WORK_DIR] [ROWS ...]     (default rows: 100000 1000000)
# Builds nothing: run `mvn -DskipTests package` first. The application jar is copied first, so a
# rebuild during the run changes nothing. One JSON line per size (bin/clip bench-ann --help).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${1:-/tmp/clip-ann-bench}"
shift || true
SIZES=("$@")
[[ ${#SIZES[@]} -gt 0 ]] || SIZES=(100000 1000000)
mkdir -p "$WORK"
cp "$ROOT/spark-job/target/clip-spark-job.jar" "$WORK/app.jar"
CP="$WORK/app.jar:$(cat "$ROOT/spark-job/target/classpath.txt")"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB;" \
  "$(java -version 2>&1 | head -1); $(date -u +%Y-%m-%dT%H:%MZ); commit $(git -C "$ROOT" rev-parse --short HEAD)"
for rows in "${SIZES[@]}"; do
  echo "rows $rows, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  # Exact search reads every vector per query: fewer timed queries at the largest size.
  exact=10; [[ $rows -ge 1000000 ]] && exact=3
  OMP_WAIT_POLICY=PASSIVE java -Xmx10g --add-modules=jdk.incubator.vector -cp "$CP" clip.cli.Main bench-ann \
    --work "$WORK/index-$rows" --rows "$rows" --dim 512 --queries 1000 --exact-queries "$exact" \
    --candidates 100,200,400 2>/dev/null
  rm -rf "$WORK/index-$rows"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
