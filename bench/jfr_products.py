#!/usr/bin/env python3
"""Every matrix product of a `bin/clip bench` run's timed steps, from a JFR recording: the rate of
each shape, and where the time above each shape's median rate goes (the thread off the CPU, or on
it and slow). BENCHMARKS.md ("Twentieth session") quotes it.

  CLIP_JAVA_OPTS="-Xmx8g -XX:+UseSerialGC -Xmn12m -XX:StartFlightRecording=filename=/tmp/products.jfr,settings=$PWD/bench/products.jfc" \\
      bin/clip bench --config tiny --steps 20 --no-torch
  python3 bench/jfr_products.py /tmp/products.jfr [--shapes N]

A product's CPU time is its calling thread's (user and system) over the call; wall time minus CPU
time is time the thread waited off the CPU (preempted by another thread, or the host).

A recording with bench/allocations.jfc instead (JFR's allocation samples; they would perturb the
products' timings, so not both at once) gives the timed steps' Java allocation by the first frame
of our code above each sample: what the young collections clear.

  CLIP_JAVA_OPTS="... -XX:StartFlightRecording=filename=/tmp/alloc.jfr,settings=$PWD/bench/allocations.jfc" bin/clip bench ...
  python3 bench/jfr_products.py /tmp/alloc.jfr"""
import argparse, collections, datetime, json, re, statistics, subprocess, sys

DURATION = re.compile(r"PT(?:(\d+)M)?([\d.]+)S")


def seconds(iso_duration):
    m = DURATION.fullmatch(iso_duration)
    if not m:
        raise ValueError("not a JFR duration: " + iso_duration)
    return int(m.group(1) or 0) * 60 + float(m.group(2))


def instant(iso_time):
    # JFR prints nanoseconds; datetime keeps microseconds, which is fine at these durations
    head, _, frac = iso_time.rstrip("Z").partition(".")
    base = datetime.datetime.fromisoformat(head)
    return base.timestamp() + (float("0." + re.sub(r"[^0-9].*$", "", frac)) if frac else 0.0)


def events(path):
    out = subprocess.run(["jfr", "print", "--json", "--stack-depth", "12", "--events",
                          "clip.layers.Product,clip.bench.BenchStep,jdk.GarbageCollection,jdk.ObjectAllocationSample", path],
                         check=True, capture_output=True, text=True).stdout
    for e in json.loads(out)["recording"]["events"]:
        v = e["values"]
        start = instant(v["startTime"])
        yield e["type"], start, start + seconds(v.get("duration", "PT0S")), v


def allocation_site(sample):
    """The first frame of our code (clip.*) above an allocation sample, or its innermost frame."""
    frames = (sample.get("stackTrace") or {}).get("frames") or []
    names = ["%s.%s" % (f["method"]["type"]["name"].replace("/", "."), f["method"]["name"]) for f in frames]
    ours = [n for n in names if n.startswith("clip.")]
    return ours[0] if ours else (names[0] if names else "(no stack)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("recording")
    ap.add_argument("--shapes", type=int, default=12, help="the N shapes with the most product time (default 12)")
    args = ap.parse_args()
    steps, products, pauses, samples = [], [], [], []
    for kind, start, end, v in events(args.recording):
        if kind == "clip.bench.BenchStep" and v["timed"]:
            steps.append((start, end))
        elif kind == "clip.layers.Product":
            products.append((start, end, v))
        elif kind == "jdk.GarbageCollection":
            pauses.append((start, end))
        elif kind == "jdk.ObjectAllocationSample":
            samples.append((start, v))
    if not steps:
        sys.exit("no timed clip.bench.BenchStep events: record with bench/products.jfc or bench/allocations.jfc")
    steps.sort()
    inside = lambda t: any(a <= t <= b for a, b in steps)
    if samples:
        allocations(steps, [(t, v) for t, v in samples if inside(t)], args.shapes)
    if products:
        product_rates(steps, products, pauses, inside, args.shapes)


def allocations(steps, samples, rows):
    by_site = collections.Counter()
    for t, v in samples:
        by_site[allocation_site(v)] += v["weight"]
    total = sum(by_site.values())
    print("timed steps: %d; Java allocation %.1f MB a step (JFR's sampled weights)" % (len(steps), total / 1e6 / len(steps)))
    for site, weight in by_site.most_common(rows):
        print("%5.1f%% %6.2f MB a step  %s" % (100 * weight / total, weight / 1e6 / len(steps), site))


def product_rates(steps, products, pauses, inside, rows_shown):
    calls = []
    for start, end, v in products:
        if not inside(start):
            continue
        wall = end - start
        flops = 2.0 * v["m"] * v["n"] * v["k"]
        shape = (v["m"], v["n"], v["k"], v["transA"], v["transB"], v["threads"])
        calls.append((shape, wall, v["cpuTime"] / 1e9 if isinstance(v["cpuTime"], (int, float)) else seconds(v["cpuTime"]),
                      flops, v["eventThread"]["javaName"]))
    step_time = sum(b - a for a, b in steps)
    print("timed steps: %d, %.3f s a step" % (len(steps), step_time / len(steps)))
    by_thread = collections.defaultdict(lambda: [0.0, 0.0, 0.0, 0])
    for shape, wall, cpu, flops, thread in calls:
        t = by_thread[thread]
        t[0] += wall; t[1] += cpu; t[2] += flops; t[3] += 1
    for thread, (wall, cpu, flops, n) in sorted(by_thread.items()):
        print("thread %-16s %6d products, %.3f s a step in them (%.0f%% of the step), CPU %.0f%% of that, %.1f GFLOP/s" % (
            thread, n, wall / len(steps), 100 * wall / step_time, 100 * cpu / wall, flops / wall / 1e9))
    shapes = collections.defaultdict(list)
    for shape, wall, cpu, flops, thread in calls:
        shapes[shape].append((wall, cpu, flops))
    total = sum(c[1] for c in calls)
    above_off = above_on = 0.0
    rows = []
    for shape, cs in shapes.items():
        rates = sorted(f / w for w, c, f in cs)
        median = statistics.median(rates)
        slow = [(w, c, f) for w, c, f in cs if f / w < median / 2]
        # time above what the call would take at its shape's median rate: off the CPU, or on it
        extra_off = sum(max(0.0, w - c) for w, c, f in cs if w > f / median)
        extra = sum(max(0.0, w - f / median) for w, c, f in cs)
        above_off += min(extra, extra_off)
        above_on += extra - min(extra, extra_off)
        rows.append((sum(w for w, c, f in cs), shape, len(cs), median, rates[len(rates) // 10],
                     sum(w for w, c, f in slow), len(slow), extra))
    rows.sort(reverse=True)
    print("\n%-34s %6s %7s %8s %8s %9s %9s" % ("m x n x k (trans A, B; threads)", "calls", "time", "median", "p10",
                                             "slow<1/2", "above med"))
    for time, shape, n, median, p10, slow_time, slow_n, extra in rows[:rows_shown]:
        m, nn, k, ta, tb, th = shape
        label = "%d x %d x %d (%s%s; %d)" % (m, nn, k, "T" if ta else "N", "T" if tb else "N", th)
        print("%-34s %6d %6.1f%% %5.1f GF %5.1f GF %5.1f%% %3d %6.1f%%" % (
            label, n, 100 * time / total, median / 1e9, p10 / 1e9, 100 * slow_time / time, slow_n, 100 * extra / time))
    print("\nall products: %.3f s a step; above each shape's median rate: %.1f%% of it, of which off the CPU %.1f%%, "
          "on it %.1f%%" % (total / len(steps), 100 * (above_off + above_on) / total, 100 * above_off / total,
                              100 * above_on / total))
    gc = [(a, b) for a, b in pauses if inside(a)]
    print("collections in the timed steps: %d, %.1f ms a step" % (len(gc), 1000 * sum(b - a for a, b in gc) / len(steps)))


if __name__ == "__main__":
    main()
