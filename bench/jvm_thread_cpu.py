"""CPU seconds a JVM's threads spent, by kind (C2 compiler, C1 compiler, garbage collector, the rest), read
from /proc every 0.1 s until the process exits; BENCHMARKS.md ("Thirteenth session") quotes it. Run it on
another core than the JVM, e.g. beside a pinned embedding run:

    OMP_NUM_THREADS=1 taskset -c 0 bin/clip embed ... --master 'local[1]' &
    sleep 0.5; python3 bench/jvm_thread_cpu.py "$(pgrep -f '^java .*clip[.]cli[.]Main embed' | head -1)"

A thread that ends before the process keeps the last figure read (within 0.1 s of its end)."""
import collections, os, sys, time

pid = sys.argv[1]
hz = os.sysconf("SC_CLK_TCK")
last = {}
while os.path.exists(f"/proc/{pid}"):
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        break
    for t in tasks:
        try:
            stat = open(f"/proc/{pid}/task/{t}/stat").read()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        last[t] = (name, (int(fields[11]) + int(fields[12])) / hz)  # utime + stime
    time.sleep(0.1)
kinds = collections.Counter()
for name, seconds in last.values():
    kind = "C2" if name.startswith("C2 ") else "C1" if name.startswith("C1 ") else \
        "GC" if "GC" in name or name.startswith("G1") else "other"
    kinds[kind] += seconds
print("cpu s: C2 %.1f, C1 %.1f, GC %.1f, other %.1f" % (kinds["C2"], kinds["C1"], kinds["GC"], kinds["other"]))
