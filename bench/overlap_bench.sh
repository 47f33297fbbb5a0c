#!/usr/bin/env bash
# bench/overlap_bench.sh [--rates "1gbit 20mbit"] [--runs 3] [--steps 80] [--workers 2] [--name P]
# [--buckets "0 25"] [--overlap "true"] [--update "sharded replicated"] [--set "k=v ..."]
# [--executor-opts "JVM options"]: how much of the parameter server's exchange the tiny recipe's
# step still waits for, with and without gradient buckets, the overlapped all-gather and the
# replicated update (issue 16 §4), as root. For each bandwidth cap:
# hosts in network namespaces
# (cluster/netns.sh up --hosts N+1 --rate R: a Spark master and the driver on host 0, a worker of one
# core on each of hosts 1..N, N = --workers), then clip.Train tiny with dist.workers=N (one per host),
# once per dist.bucket-mb, dist.overlap-gather and dist.update value, alternating, --runs times; each run under
# the CPU lock (/tmp/clip-cpu.lock). Prints one line per run: the medians over the steps after the
# tenth of the step time, the parameter server's time the step waited for (param_server_s: buckets
# still under way after the backward pass, the norm's all-reduce and the all-gather, or what the
# forward pass waited for of the overlapped one) and their ratio, and the embeddings' gather; then
# param_server's two waits apart: the buckets after the backward pass and the forward pass's.
# --set adds configuration keys to every run (e.g. a wider model). --pin binds worker h, and so its
# executor, to core h-1 (modulo the cores), so that no two workers take turns on a core.
# --executor-opts adds JVM options to every executor (spark.executor.extraJavaOptions, e.g. a GC
# log or a pause target). Logs and train-log.jsonl files go to WORK (default /tmp/overlap-bench).
set -euo pipefail
{
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
RATES="1gbit 20mbit"; RUNS=3; STEPS=80; NAME=ovl; BUCKETS="0 25"; OVERLAP="true"; UPDATE="sharded"; WORK=/tmp/overlap-bench; SET=""
EXECUTOR_CONF=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rates) RATES="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    --workers) HOSTS=$(("$2" + 1)); shift 2 ;;
    --steps) STEPS="$2"; shift 2 ;;
    --name) NAME="$2"; shift 2 ;;
    --buckets) BUCKETS="$2"; shift 2 ;;
    --overlap) OVERLAP="$2"; shift 2 ;;
    --update) UPDATE="$2"; shift 2 ;;
    --work) WORK="$2"; shift 2 ;;
    --set) SET="$2"; shift 2 ;;
    --pin) PIN=1; shift ;;
    --executor-opts) EXECUTOR_CONF=(--conf "spark.executor.extraJavaOptions=$2"); shift 2 ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "overlap_bench.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
need_root_and_build
JAR="$ROOT/spark-job/target/clip-spark-job.jar"
LOCK=/tmp/clip-cpu.lock
rm -rf "$WORK"; mkdir -p "$WORK"
trap stop_cluster EXIT
trap 'exit 130' INT TERM

# medians over steps 11.. of a train-log.jsonl: step seconds, param_server_s, their ratio, gather_s
medians() {
  python3 - "$1" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
step = [b["elapsed_s"] - a["elapsed_s"] for a, b in zip(rows, rows[1:])][9:]
ps = [r["param_server_s"] for r in rows[1:]][9:]
ga = [r["gather_s"] for r in rows[1:]][9:]
bw = [r.get("bucket_wait_s", float("nan")) for r in rows[1:]][9:]
pw = [r.get("param_wait_s", float("nan")) for r in rows[1:]][9:]
share = [p / s for p, s in zip(ps, step)]
m = statistics.median
print(f"steps {len(step)}  step {m(step) * 1000:.1f} ms  param_server {m(ps) * 1000:.1f} ms  share {m(share) * 100:.1f}%  gather {m(ga) * 1000:.1f} ms"
      f"  (buckets {m(bw) * 1000:.1f}, params {m(pw) * 1000:.1f} ms)")
EOF
}

for rate in $RATES; do
  start_cluster "$WORK" "-$rate" --rate "$rate"
  for run in $(seq 1 "$RUNS"); do
    for b in $BUCKETS; do
     for o in $OVERLAP; do
      for u in $UPDATE; do
      out="$WORK/run-$rate-b$b-o$o-$u-$run"
      flock "$LOCK" "$ROOT/cluster/netns.sh" exec 0 --name "$NAME" -- env SPARK_LOCAL_IP=198.18.0.1 "$ROOT/cluster/spark-submit" \
        --master "$MASTER" --conf spark.driver.host=198.18.0.1 --conf spark.executor.memory=2g "${EXECUTOR_CONF[@]}" --conf spark.cores.max=$((HOSTS - 1)) \
        --class clip.Train "$JAR" tiny dist.workers=$((HOSTS - 1)) dist.bucket-mb="$b" dist.overlap-gather="$o" dist.update="$u" train.steps="$STEPS" output.dir="$out" $SET \
        > "$out.log" 2>&1 || { echo "overlap_bench.sh: run failed; its log:" >&2; tail -30 "$out.log" >&2; exit 1; }
      # A restarted run's figures come from its last attempt, in executors already warm: say so.
      echo "rate $rate  bucket-mb $b  overlap $o  update $u  run $run  load $(cut -d' ' -f1 /proc/loadavg)  restarts $(grep -c 'the workers failed' "$out.log")  $(medians "$out/train-log.jsonl")"
      done
     done
    done
  done
  stop_cluster
done
exit 0
}
