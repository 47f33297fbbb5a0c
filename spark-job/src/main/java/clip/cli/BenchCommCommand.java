package clip.cli;

import clip.exchange.Collective;
import clip.exchange.ExchangeGrid;
import clip.exchange.JobSecret;
import clip.exchange.NettyGroup;
import clip.exchange.TwoLevelExchange;
import clip.io.BadInputException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code bin/clip bench-comm}: the parameter server's traffic per step over the real transport,
 * between workers of this machine (loopback TCP): a reduce-scatter of P floats then an
 * all-gather of the updated shards, as {@link clip.exchange.ShardedOptimizer} does, from and into
 * flat direct buffers (its gradient and parameter vectors); with the full mesh, the two-level
 * exchange ({@link TwoLevelExchange} on the near-square grid that workers of one host get), or
 * both, their rounds taking turns so that both see the same load.
 */
public final class BenchCommCommand implements Command {
    @Override
    public String name() {
        return "bench-comm";
    }

    @Override
    public String summary() {
        return "time the parameter server's exchange of one step over TCP between local workers";
    }

    @Override
    public String usage() {
        return String.join("\n",
                "usage: bin/clip bench-comm [--workers N] [--params P] [--rounds R] [--exchange mesh|two-level|both]",
                "  --workers N   workers, each in its own thread with its own Netty group (default 2)",
                "  --params P    trainable parameters (floats) exchanged per step (default 196000000: ViT-B/16 + BERT-base)",
                "  --rounds R    timed steps after one warm-up step (default 12: C2 compiles Netty's paths over the first ~8)",
                "  --exchange E  mesh (default), two-level, or both, their rounds taking turns");
    }

    @Override
    public int run(Args args, PrintStream out) throws Exception {
        int n = args.integer("workers", 2);
        long params = Long.parseLong(args.string("params", "196000000"));
        // A training run exchanges thousands of times: the figure that matters is the steady one. The JIT
        // takes about eight steps to settle (BENCHMARKS.md); every step is printed, the first ones too.
        int rounds = args.integer("rounds", 12);
        String exchange = args.string("exchange", "mesh");
        args.rejectUnknown();
        if (!List.of("mesh", "two-level", "both").contains(exchange)) {
            throw new BadInputException("--exchange must be mesh, two-level or both, got '" + exchange + "'");
        }
        if (n < 1 || rounds < 1) {
            throw new BadInputException("--workers and --rounds must be at least 1 (got " + n + " and " + rounds + ")");
        }
        JobSecret secret = JobSecret.generate();
        List<NettyGroup> members = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            members.add(NettyGroup.listen(r, n, secret, new InetSocketAddress("127.0.0.1", 0), 600_000,
                    NettyGroup.CHUNK_FLOATS));
        }
        List<InetSocketAddress> addresses = members.stream().map(NettyGroup::address).toList();
        members.forEach(m -> m.connect(addresses));
        if (params * Float.BYTES > Integer.MAX_VALUE) {
            throw new BadInputException("--params " + params + ": at most " + Integer.MAX_VALUE / Float.BYTES
                    + " floats fit one flat buffer");
        }
        int[] bounds = new int[n + 1];
        for (int r = 0; r <= n; r++) {
            bounds[r] = (int) (params * r / n);
        }
        List<ByteBuffer> flats = new ArrayList<>();
        List<ByteBuffer> shards = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            flats.add(ByteBuffer.allocateDirect((int) params * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN));
            shards.add(ByteBuffer.allocateDirect((bounds[r + 1] - bounds[r]) * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN));
        }
        ExchangeGrid grid = ExchangeGrid.of(addresses.stream().map(InetSocketAddress::getHostString).toList());
        List<String> names = exchange.equals("both") ? List.of("mesh", "two-level") : List.of(exchange);
        List<List<Collective>> exchanges = new ArrayList<>();
        for (String name : names) {
            exchanges.add(members.stream().map(m -> name.equals("mesh") ? m : (Collective) new TwoLevelExchange(m, grid)).toList());
        }
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            double[][] seconds = new double[names.size()][rounds + 1];
            double[][] cpuSeconds = new double[names.size()][rounds + 1];
            com.sun.management.OperatingSystemMXBean os =
                    (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            for (int round = 0; round <= rounds; round++) {
                for (int e = 0; e < names.size(); e++) {
                    long start = System.nanoTime();
                    long cpuStart = os.getProcessCpuTime();
                    List<Future<?>> done = new ArrayList<>();
                    for (Collective m : exchanges.get(e)) {
                        ByteBuffer flat = flats.get(m.rank());
                        ByteBuffer shard = shards.get(m.rank());
                        done.add(pool.submit(() -> {
                            m.reduceScatterSum(flat, bounds, shard);   // gradient shards to their owners, summed
                            m.allGather(flat, bounds);                 // updated shards back to everyone
                            return null;
                        }));
                    }
                    for (Future<?> f : done) {
                        f.get();
                    }
                    seconds[e][round] = (System.nanoTime() - start) / 1e9;
                    cpuSeconds[e][round] = (os.getProcessCpuTime() - cpuStart) / 1e9;
                }
            }
            double bytesPerWorker = 2.0 * (params / n) * (n - 1) * Float.BYTES;
            for (int e = 0; e < names.size(); e++) {
                double best = Double.MAX_VALUE;
                for (int r = 1; r <= rounds; r++) {
                    best = Math.min(best, seconds[e][r]);
                }
                boolean mesh = names.get(e).equals("mesh");
                StringBuilder steps = new StringBuilder();
                StringBuilder cpu = new StringBuilder();
                for (int r = 0; r <= rounds; r++) {
                    steps.append(r == 0 ? "" : " ").append(String.format("%.3f", seconds[e][r]));
                    cpu.append(r == 0 ? "" : " ").append(String.format("%.2f", cpuSeconds[e][r]));
                }
                out.printf("bench-comm: %d workers, %,d parameters, %s: best step %.4f s; %d messages per worker per step;"
                        + " each worker sent and received %.1f MB (%.2f GB/s per worker each way)%n", n, params,
                        mesh ? "mesh" : "two-level (" + grid + ")", best, 2 * (mesh ? n - 1 : grid.messages()), bytesPerWorker / 1e6,
                        bytesPerWorker / best / 1e9);
                out.printf("  steps, warm-up first: %s s; CPU of this JVM (every thread, JIT compilers included) in each: %s s%n",
                        steps, cpu);
            }
        } finally {
            pool.shutdownNow();
            members.forEach(NettyGroup::close);
        }
        return 0;
    }
}
