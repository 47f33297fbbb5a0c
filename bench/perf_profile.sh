#!/usr/bin/env bash
# Where a `bin/clip bench` run's CPU time goes, every thread of the JVM on both cores (oneDNN's worker
# threads too, which JFR does not see), by perf's software clock: this VM has no hardware counters.
# BENCHMARKS.md ("Twenty-first session") quotes it.
#   bench/perf_profile.sh DELAY SECONDS [bin/clip bench options, e.g. --config base --warmup 2 --steps 4 --no-torch]
# Records SECONDS of the run from DELAY seconds after its start: choose them inside the timed steps
# (the bench's warm-up and model set-up come first; base needs about 45 s before its timed steps).
# The JVM writes its compiled methods' names to /tmp/perf-PID.map at exit; oneDNN's sgemm kernels are
# generated at run time and have no names, so every unnamed address is counted as one of them.
# The recording stays in $PERF_DATA (default /tmp/clip-perf.data) with call graphs, e.g. for the
# callers of the arraycopy stubs:
#   perf report -i /tmp/clip-perf.data --no-children --sort sym -g caller -S 'StubRoutines (2)' --stdio
# (-XX:+PreserveFramePointer is what lets perf walk those graphs through compiled Java frames.)
# Builds nothing: run `mvn -DskipTests package` first. Needs perf (linux-perf); holds /tmp/clip-cpu.lock
# while it runs.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DELAY="${1:?usage: bench/perf_profile.sh DELAY SECONDS [bin/clip bench options]}"
SECONDS_RECORDED="${2:?usage: bench/perf_profile.sh DELAY SECONDS [bin/clip bench options]}"
shift 2
DATA="${PERF_DATA:-/tmp/clip-perf.data}"
OUT="$(mktemp)"
trap 'rm -f "$OUT"' EXIT
exec 9>/tmp/clip-cpu.lock
flock 9
CLIP_JAVA_OPTS="-Xmx8g -XX:+UseSerialGC -Xmn12m -XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit -XX:+PreserveFramePointer" \
  "$CLIP" bench "$@" >"$OUT" 2>&1 &
BENCH=$!
sleep "$DELAY"
JVM="$(pgrep -f '^java .*clip[.]cli[.]Main bench' | head -1)"
[[ -n "$JVM" ]] || { kill "$BENCH" 2>/dev/null; echo "perf_profile.sh: the bench's JVM was not running after $DELAY s" >&2; exit 1; }
timeout "$SECONDS_RECORDED" perf record -e cpu-clock -F 999 -g -p "$JVM" -o "$DATA" >/dev/null 2>&1 || true
wait "$BENCH"
grep '^{' "$OUT" | tail -1
perf report -i "$DATA" --no-children --sort dso,sym --stdio -g none 2>/dev/null | python3 -c '
import collections, re, sys
shares = collections.Counter()
for line in sys.stdin:
    m = re.match(r"\s*([\d.]+)%\s+(\S.*?)\s+\[(.)\]\s+(.*)", line)
    if not m:
        continue
    share, dso, sym = float(m.group(1)), m.group(2), m.group(4).strip()
    if sym.startswith("0x0000"):
        kind = "oneDNN sgemm kernels (generated code, unnamed)"
    elif "StubRoutines" in sym:
        kind = "JVM stubs (arraycopy: Java arrays to and from native buffers)"
    elif dso.startswith("[kernel"):
        kind = "the Linux kernel (page faults, scheduling, futexes)"
    elif dso.startswith("[JIT]"):
        kind = "Java: " + re.sub(r"\(.*", "", sym).split(" ")[-1]
    else:
        kind = dso + ": " + sym[:60]
    shares[kind] += share
print("| where | share of CPU time, all threads |\n|---|---|")
for kind, share in shares.most_common(20):
    print("| %s | %.1f%% |" % (kind, share))
'
