package clip.exchange;

import clip.layers.Module;
import clip.layers.Parameter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.function.IntConsumer;

/**
 * The gradient's reduce-scatter cut into buckets that start while the backward pass goes on, as
 * PyTorch DDP's do. The backward pass reports modules whose gradients are final
 * ({@link clip.layers.GradientsReady}); their parameters' gradients are copied into the flat
 * vector at once, and as soon as the reported parameters fill a bucket, its floats are
 * reduce-scattered into the owners' shards by a thread of its own, on the group's side channel
 * (the backward pass may use the main one meanwhile: SyncBatchNorm's sums). Parameters never
 * reported (the logit scale and bias, added after the backward pass) go in the last bucket.
 *
 * <p>Every sum is element-wise and in the group's fixed order (rank order; the two-level
 * exchange's order by group), so the shards get the bits of one reduce-scatter of the whole
 * vector however it is cut; and every worker cuts the same buckets
 * in the same order, because every worker's backward pass reports the same modules in the same
 * order. The shards stay where they were (worker s owns floats {@code [bounds[s], bounds[s+1])}),
 * so a bucket goes to the one or two owners of its floats, not to all workers at once.
 *
 * <p>For the replicated update no worker owns a shard: each bucket is cut evenly among all the
 * workers, each sums its cut, and the sums then go to every worker as soon as they are in, so the
 * whole exchange of a step can cross while the backward pass runs. Cut by the shards, a bucket of
 * less than a shard would go to one owner and back, the whole bucket through one worker's link
 * each way (with 4 workers at 1 Gbit/s that made the last bucket's wait 160 ms; BENCHMARKS.md).
 * The sums are the same bits whoever adds them: every worker's part, in rank order.
 */
final class GradientBuckets {
    private final Collective side;
    private final List<ShardedOptimizer.Segment> segments;
    private final Map<Parameter, Integer> indexOf;
    private final IntConsumer copy;
    private final ByteBuffer flat;
    private final ByteBuffer shard;
    /** The replicated update's: the line each bucket's sums are gathered on, and the whole summed vector they fill; else null. */
    private final Collective sumsLine;
    private final ByteBuffer sums;
    private final int[] bounds;
    private final int bucketFloats;
    /** One thread at most, which lets go of itself when idle: buckets must leave in the order they filled. */
    private final ThreadPoolExecutor thread;
    private final boolean[] copied;
    private final List<ShardedOptimizer.Segment> pending = new ArrayList<>();
    private int pendingFloats;
    private final List<Future<?>> sent = new ArrayList<>();

    /**
     * @param copy   copies segment i's gradient into the flat vector
     * @param flat   the flat gradient (little-endian floats), which buckets send from
     * @param shard  this worker's summed shard, floats {@code [bounds[rank], bounds[rank+1])} of the
     *               vector; null when the sums are gathered
     * @param bounds where each worker's shard starts, r = 0..N
     * @param sumsLine null, or a line of its own on which each bucket's sums, once in, are
     *                 gathered to every worker into {@code sums}, the whole summed vector
     */
    GradientBuckets(Collective side, List<ShardedOptimizer.Segment> segments, IntConsumer copy, ByteBuffer flat, ByteBuffer shard,
                    int[] bounds, int bucketFloats, Collective sumsLine, ByteBuffer sums) {
        if (bucketFloats < 1) {
            throw new IllegalArgumentException("a bucket must hold at least one float, not " + bucketFloats);
        }
        this.side = side;
        this.segments = segments;
        this.indexOf = ShardedOptimizer.indexOf(segments);
        this.copy = copy;
        this.flat = flat;
        this.shard = shard;
        this.sumsLine = sumsLine;
        this.sums = sums;
        this.bounds = bounds;
        this.bucketFloats = bucketFloats;
        this.copied = new boolean[segments.size()];
        this.thread = ShardedOptimizer.orderedThread("clip-grad-buckets-" + side.rank());
    }

    /** The backward pass is done with {@code module}: its parameters' gradients join the next bucket. */
    void ready(Module module) {
        for (Parameter p : module.parameters()) {
            Integer i = indexOf.get(p);
            if (i != null && !copied[i]) {
                copied[i] = true;
                copy.accept(i);
                pending.add(segments.get(i));
                pendingFloats += segments.get(i).length();
            }
        }
        if (pendingFloats >= bucketFloats) {
            send();
        }
    }

    /** Sends what was never reported, waits until every bucket of the step is summed, and starts the next step afresh. */
    void finish() {
        for (int i = 0; i < segments.size(); i++) {
            if (!copied[i]) {
                copied[i] = true;
                copy.accept(i);
                pending.add(segments.get(i));
            }
        }
        if (!pending.isEmpty()) {
            send();
        }
        try {
            for (Future<?> f : sent) {
                f.get();
            }
        } catch (ExecutionException e) {
            sent.forEach(f -> f.cancel(false));
            throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PeerFailureException("worker " + side.rank() + ": interrupted while the gradient buckets were exchanged", e);
        } finally {
            sent.clear();
            java.util.Arrays.fill(copied, false);
        }
    }

    /**
     * Starts the pending segments' bucket: one reduce-scatter per run of adjacent floats, sent
     * from this thread at once and awaited on the bucket thread in order. A bucket's floats mostly
     * go one way (to the owner of that part of the vector), so if each waited for the one before,
     * the two directions of a link would take turns; sent at once, they flow side by side. With
     * a line for the sums, the bucket thread then gathers the bucket's sums the same way (it is
     * the only thread on that line, so every worker numbers those exchanges alike).
     */
    private void send() {
        List<int[]> runs = ShardedOptimizer.runs(pending);
        pending.clear();
        pendingFloats = 0;
        List<Runnable> summing = new ArrayList<>();
        for (int[] r : runs) {
            summing.add(startReduceScatter(r[0], r[1]));
        }
        sent.add(thread.submit(() -> {
            summing.forEach(Runnable::run);
            if (sumsLine != null) {
                List<Runnable> gathering = new ArrayList<>();
                for (int[] r : runs) {
                    gathering.add(sumsLine.startAllGather(floats(sums, r[0], r[1]), evenly(r[1] - r[0], side.size())));
                }
                gathering.forEach(Runnable::run);
            }
        }));
    }

    /**
     * Floats {@code [from, to)} of the vector summed into the owners' shards (the workers' bounds
     * cut to that range), or, when the sums are gathered, each worker's even cut of it into its
     * place in the whole summed vector.
     */
    private Runnable startReduceScatter(int from, int to) {
        int rank = side.rank();
        if (sumsLine != null) {
            int[] cut = evenly(to - from, side.size());
            return side.startReduceScatterSum(floats(flat, from, to), cut, floats(sums, from + cut[rank], from + cut[rank + 1]));
        }
        int[] cut = ShardedOptimizer.boundsWithin(bounds, from, to);
        int mine = cut[rank + 1] - cut[rank];
        int at = mine == 0 ? 0 : from + cut[rank] - bounds[rank]; // where this worker's part of the run sits in its shard
        return side.startReduceScatterSum(floats(flat, from, to), cut, floats(shard, at, at + mine));
    }

    /** {@code n} floats cut among {@code workers}, r = 0..workers, as the shards are cut. */
    private static int[] evenly(int n, int workers) {
        int[] cut = new int[workers + 1];
        for (int r = 0; r <= workers; r++) {
            cut[r] = (int) ((long) n * r / workers);
        }
        return cut;
    }

    private static ByteBuffer floats(ByteBuffer b, int from, int to) {
        return b.slice(from * Float.BYTES, (to - from) * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    }
}
