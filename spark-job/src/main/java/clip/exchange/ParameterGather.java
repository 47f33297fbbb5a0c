package clip.exchange;

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
 * The all-gather of updated parameters cut into pieces that arrive while the next step's forward
 * pass runs (the mirror of {@link GradientBuckets}). A piece is what one report of the forward
 * pass asked for first ({@link clip.layers.ParametersNeeded}: a transformer layer, a tower's
 * embeddings, a projection, the logit scale and bias). Every piece leaves at once, on the group's
 * side channel, in the order the forward pass asks for them ({@link Collective#startAllGather}),
 * and a thread of their own awaits them in that order (the two-level exchange's second hop runs
 * there); a report waits only for the pieces that cover its parameters and puts them in place.
 * Parameters the forward pass never asks for go in a last piece.
 *
 * <p>Every worker must cut the same pieces and gather them in the same order: the order is taken
 * from worker 0's first forward pass, sent to all at the first gather. Each piece moves the
 * floats the one all-gather would have moved, into the same places, so the parameters get the
 * same bits.
 */
final class ParameterGather {
    private final Collective side;
    private final List<ShardedOptimizer.Segment> segments;
    private final Map<Parameter, Integer> indexOf;
    private final IntConsumer place;
    private final ByteBuffer flat;
    private final int[] bounds;
    /** One thread at most, which lets go of itself when idle: the pieces must be awaited in the order they left. */
    private final ThreadPoolExecutor thread;
    /** What the forward pass asked for, report by report (segment indices, each once), until the pieces are cut. */
    private final List<List<Integer>> asked = new ArrayList<>();
    private final boolean[] seen;
    /** The pieces (segment indices) in gathering order, and the piece of each segment; null until the first gather. */
    private List<int[]> pieces;
    private int[] pieceOf;
    private final List<Future<?>> gathering = new ArrayList<>();
    /** Pieces of the gather under way already waited for and put in place. */
    private int placed;
    private long waitNanos;

    /**
     * @param place puts segment i's values from the flat vector into its parameter
     * @param flat  the flat parameters (little-endian floats), this worker's shard updated, which the pieces fill in place
     * @param bounds where each worker's shard starts, r = 0..N
     */
    ParameterGather(Collective side, List<ShardedOptimizer.Segment> segments, IntConsumer place, ByteBuffer flat, int[] bounds) {
        this.side = side;
        this.segments = segments;
        this.indexOf = ShardedOptimizer.indexOf(segments);
        this.place = place;
        this.flat = flat;
        this.bounds = bounds;
        this.seen = new boolean[segments.size()];
        this.thread = ShardedOptimizer.orderedThread("clip-param-gather-" + side.rank());
    }

    /** What the forward pass tells before it reads {@code params}: returns once they hold the last step's values. */
    void need(List<Parameter> params) {
        if (pieces == null) {
            remember(params);
            return;
        }
        int last = -1;
        for (Parameter p : params) {
            Integer i = indexOf.get(p);
            if (i != null) {
                last = Math.max(last, pieceOf[i]);
            }
        }
        awaitThrough(last);
    }

    private void remember(List<Parameter> params) {
        List<Integer> report = new ArrayList<>();
        for (Parameter p : params) {
            Integer i = indexOf.get(p);
            if (i != null && !seen[i]) {
                seen[i] = true;
                report.add(i);
            }
        }
        if (!report.isEmpty()) {
            asked.add(report);
        }
    }

    /**
     * Starts the gather of this worker's updated shard to every worker and every other shard from
     * its owner; every worker calls it after the same steps. The first call cuts the pieces, with
     * an exchange on {@code main} (the side channel may not be free before the first gather).
     */
    void start(Collective main) {
        if (pieces == null) {
            cut(main);
        }
        placed = 0;
        for (int[] piece : pieces) {
            List<ShardedOptimizer.Segment> parts = new ArrayList<>();
            for (int i : piece) {
                parts.add(segments.get(i));
            }
            List<Runnable> runs = new ArrayList<>();
            for (int[] r : ShardedOptimizer.runs(parts)) {
                runs.add(startGather(r[0], r[1]));
            }
            gathering.add(thread.submit(() -> runs.forEach(Runnable::run)));
        }
    }

    /** Waits until every piece is in place; what everything reading the parameters outside a forward pass calls first. */
    void finish() {
        if (pieces != null) {
            awaitThrough(pieces.size() - 1);
        }
    }

    /** Nanoseconds spent waiting for pieces since the last call. */
    long waitNanos() {
        long n = waitNanos;
        waitNanos = 0;
        return n;
    }

    /** Whether a gather has started whose pieces are not all in place. */
    boolean underWay() {
        return !gathering.isEmpty();
    }

    private void awaitThrough(int last) {
        if (gathering.isEmpty()) {
            return;
        }
        for (; placed <= last; placed++) {
            long start = System.nanoTime();
            try {
                gathering.get(placed).get();
            } catch (ExecutionException e) {
                fail();
                throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail();
                throw new PeerFailureException("worker " + side.rank() + ": interrupted while the parameters were gathered", e);
            } finally {
                waitNanos += System.nanoTime() - start;
            }
            for (int i : pieces.get(placed)) {
                place.accept(i);
            }
        }
        if (placed == pieces.size()) {
            gathering.clear();
        }
    }

    private void fail() {
        gathering.forEach(f -> f.cancel(false));
        gathering.clear();
    }

    /** Worker 0's order of reports to every worker, then the pieces: one per report, and one of what was never asked for. */
    private void cut(Collective main) {
        float[] mine = new float[0];
        if (main.rank() == 0) {
            List<Float> encoded = new ArrayList<>();
            for (List<Integer> report : asked) {
                encoded.add((float) report.size());
                report.forEach(i -> encoded.add((float) i)); // exact: fewer than 2^24 parameters
            }
            mine = new float[encoded.size()];
            for (int k = 0; k < mine.length; k++) {
                mine[k] = encoded.get(k);
            }
        }
        float[] order = main.allGather(mine)[0];
        List<int[]> cut = new ArrayList<>();
        boolean[] taken = new boolean[segments.size()];
        for (int at = 0; at < order.length; ) {
            int[] piece = new int[(int) order[at++]];
            for (int k = 0; k < piece.length; k++) {
                piece[k] = (int) order[at++];
                taken[piece[k]] = true;
            }
            cut.add(piece);
        }
        List<Integer> rest = new ArrayList<>();
        for (int i = 0; i < taken.length; i++) {
            if (!taken[i]) {
                rest.add(i);
            }
        }
        if (!rest.isEmpty()) {
            cut.add(rest.stream().mapToInt(Integer::intValue).toArray());
        }
        this.pieceOf = new int[segments.size()];
        for (int p = 0; p < cut.size(); p++) {
            for (int i : cut.get(p)) {
                pieceOf[i] = p;
            }
        }
        this.pieces = cut;
        asked.clear();
    }

    /** Floats {@code [from, to)} of the vector from their owners to every worker (the workers' bounds cut to that range), sent now. */
    private Runnable startGather(int from, int to) {
        return side.startAllGather(flat.slice(from * Float.BYTES, (to - from) * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN),
                ShardedOptimizer.boundsWithin(bounds, from, to));
    }
}
