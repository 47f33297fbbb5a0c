package clip.cli;

import clip.bench.DualEncoderBench;
import clip.bench.PeakMemory;
import clip.bench.TorchReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * {@code bin/clip bench}: times a dual-encoder training step and, in the same run, the PyTorch
 * reference at the same sizes; prints one JSON line.
 */
public final class BenchCommand implements Command {
    @Override
    public String name() {
        return "bench";
    }

    @Override
    public String summary() {
        return "time a dual-encoder training step (tiny|base) against the PyTorch reference; one JSON line";
    }

    @Override
    public String usage() {
        return String.join("\n",
                "usage: bin/clip bench [--config tiny|base] [--batch B] [--parts N] [--warmup W] [--steps N] [--no-torch] [--torch-script PATH] [--python PATH]",
                "       bin/clip bench --ops   (per-operation ND4J costs on this machine, one JSON line)",
                "  --config C        sizes of bench/torch_dual_step.py (default tiny)",
                "  --batch B         pairs per step (default: the config's, 32 tiny, 8 base)",
                "  --parts N         cut each step's pairs into N parts run side by side, one per core",
                "                    (default: one per core for tiny, the whole batch for base, as training does)",
                "  --warmup W        untimed steps first, on both sides (default 10 tiny, 2 base: the",
                "                    JVM compiles the step's code in its first 5 s or so)",
                "  --steps N         timed steps after the warm-up (default 6); both medians are over these",
                "  --no-torch        skip the PyTorch reference run",
                "  --torch-script P  the reference script (default: bench/torch_dual_step.py in the checkout)",
                "  --python P        interpreter with torch (default /usr/bin/python3, Debian's python3-torch)");
    }

    @Override
    public int run(Args args, PrintStream out) throws Exception {
        if (args.flag("ops")) {
            args.rejectUnknown();
            out.println(new ObjectMapper().writeValueAsString(clip.bench.OpTimings.measure()));
            return 0;
        }
        DualEncoderBench.Size size = DualEncoderBench.Size.of(args.string("config", "tiny"));
        if (args.has("batch")) {
            size = size.withBatch(args.integer("batch", size.batch()));
        }
        int parts = args.integer("parts", 0);
        int warmup = args.integer("warmup", defaultWarmup(size));
        int steps = args.integer("steps", 6);
        if (warmup < 1 || steps < 1) {
            throw new clip.io.BadInputException("--warmup and --steps must be at least 1, got " + warmup + " and " + steps);
        }
        boolean torch = !args.flag("no-torch");
        Path script = args.has("torch-script") ? args.path("torch-script") : TorchReference.defaultScript();
        String python = args.string("python", "/usr/bin/python3");
        args.rejectUnknown();

        // The reference runs first: a child process inherits the parent's peak RSS across exec on
        // Linux, so it must start before this JVM has grown.
        String loadBefore = loadAverage();
        // The reference script always runs one untimed step: it runs the rest of the warm-up timed, and
        // those times are dropped here.
        JsonNode reference = torch ? new TorchReference(script, python).run(size.name(), warmup - 1 + steps, size.batch()) : null;
        DualEncoderBench bench = new DualEncoderBench(size, 0, parts);
        List<Double> times = bench.run(warmup, steps);
        double median = median(times);
        double flops = 3 * size.forwardMatmulFlops();
        double gemm = bench.gemmGflops();
        ObjectMapper json = new ObjectMapper();
        ObjectNode result = json.createObjectNode()
                .put("impl", "clip-java (ND4J " + org.nd4j.linalg.factory.Nd4j.getBackend().getClass().getSimpleName() + ")")
                .put("config", size.name()).put("batch", size.batch()).put("parts", bench.parts())
                .put("params", bench.parameterCount())
                .put("warmup_steps", warmup).put("timed_steps", steps)
                .put("step_s_median", round(median)).put("samples_per_s", round(size.batch() / median))
                .put("peak_rss_mib", PeakMemory.peakRssMib())
                .put("omp_num_threads", String.valueOf(System.getenv("OMP_NUM_THREADS")))
                .put("cores", Runtime.getRuntime().availableProcessors())
                .put("load_average_before", loadBefore)
                .put("matmul_gflop_per_step", round(flops / 1e9))
                .put("gemm_gflops_measured", round(gemm))
                .put("matmul_s_estimate", round(flops / 1e9 / gemm))
                .put("other_s_estimate", round(median - flops / 1e9 / gemm));
        result.set("step_s_all", json.valueToTree(times.stream().map(BenchCommand::round).toList()));
        if (reference != null) {
            double referenceMedian = median(lastSteps(reference.path("step_s_all"), steps));
            result.set("pytorch", reference);
            result.put("pytorch_step_s_median", round(referenceMedian));
            result.put("ratio_step_time_vs_pytorch", round(median / referenceMedian));
            result.put("ratio_peak_rss_vs_pytorch",
                    round((double) PeakMemory.peakRssMib() / reference.path("peak_rss_mib").asDouble()));
        }
        out.println(json.writeValueAsString(result));
        return 0;
    }

    /**
     * Untimed steps before the timed ones. The first steps of a JVM run the step's code interpreted
     * and through C1 while C2 compiles it: at tiny the first five to eight steps took 0.44-0.67 s
     * against 0.32-0.42 s after (three 30-step runs, BENCHMARKS.md "Twentieth session"), which a
     * median over 20 steps after one warm-up step still felt. A base step takes 8 s, and its steps
     * showed no trend after the first. PyTorch's steps are steady from its second.
     */
    static int defaultWarmup(DualEncoderBench.Size size) {
        return size.name().equals("base") ? 2 : 10;
    }

    /** The last {@code count} numbers of a JSON array: the reference's timed steps after its warm-up. */
    static List<Double> lastSteps(JsonNode all, int count) {
        if (!all.isArray() || all.size() < count) {
            throw new IllegalStateException("the PyTorch reference reported " + all.size() + " step times, expected at least " + count);
        }
        List<Double> times = new ArrayList<>();
        for (int i = all.size() - count; i < all.size(); i++) {
            times.add(all.get(i).asDouble());
        }
        return times;
    }

    /** The machine's load averages (1, 5, 15 min) as /proc/loadavg gives them, or "unknown". */
    private static String loadAverage() {
        try {
            String[] f = java.nio.file.Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (java.io.IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    private static double round(double x) {
        return Math.round(x * 10000) / 10000.0;
    }
}
