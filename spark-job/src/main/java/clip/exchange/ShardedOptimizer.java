package clip.exchange;

import clip.layers.GradientsReady;
import clip.layers.Parameter;
import clip.layers.ParametersNeeded;
import clip.layers.StepMemory;
import clip.optim.AdamW;
import clip.optim.GradientClipping;
import clip.optim.ParameterGroups;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The parameter server, living inside the workers. The trainable parameters, flattened in name
 * order, are cut into N contiguous shards; worker s owns shard s and its AdamW state (so the
 * optimizer state takes 1/N of the memory on each worker). Per step: every worker sends shard s
 * of its gradient to worker s (reduce-scatter, summed in rank order, or in two hops by
 * {@link TwoLevelExchange}, which keeps the shards where they are), the owners agree on the
 * global gradient norm for clipping (an all-reduce of N scalars), update their shards, and every
 * worker fetches all updated shards (all-gather). Each worker moves 2P(N-1)/N floats, as a ring
 * all-reduce would. The gradient and the parameters are copied once per step into flat native
 * arrays, which the exchange sends from and receives into directly (the arrays cost 2P floats
 * of memory per worker).
 *
 * <p>With gradient buckets ({@link #gradientsReady}) the reduce-scatter runs in pieces during the
 * backward pass and the step only waits for the last ones; the sums, hence every bit after, are
 * those of the reduce-scatter after the backward pass. The update itself still waits for the
 * whole gradient: global-norm clipping and the rule that a step with a non-finite norm changes
 * nothing both need every shard's sum before any shard may change.
 *
 * <p>With the update replicated, every worker keeps AdamW's state for all parameters (N times
 * the memory) and the gradient's sums are gathered instead of the updated parameters (each
 * bucket summed in even cuts among the workers, see {@link GradientBuckets}): every worker then
 * clips and updates the whole vector itself, with the same sums, norm and arithmetic as the
 * owners', so the parameters get the same bits. What this buys is when the exchange can run.
 * The updated parameters can leave only after the last bucket's sums are in and the norm is
 * known, and under AdamW's weight decay every one of them changes, so their all-gather is the
 * whole model, hidden behind at most the next forward pass; a bucket's sums can leave as soon as
 * they are in, during the backward pass, and the word embeddings' sums are as sparse as their
 * gradients (mostly zero rows, which {@link SparsePayload} leaves out).
 *
 * <p>With the gather overlapped ({@link #parametersNeeded}) the step returns once the all-gather
 * of updated parameters has started, in pieces, and the next forward pass waits for each piece
 * only when it reaches the parameters it covers ({@link ParameterGather}); whatever reads the
 * parameters outside a forward pass calls {@link #awaitParameters} first (this class's own
 * readers do). Bounds on a parameter ({@link #keepWithin}) are applied by its shard's owner before
 * the gather, so no worker reads the parameters right after the step.
 */
public final class ShardedOptimizer {
    /** Suffixes of the AdamW moments' names in {@link #ownedState}. */
    public static final String EXP_AVG = ".exp_avg";
    public static final String EXP_AVG_SQ = ".exp_avg_sq";
    private final Collective group;
    private final AdamW adamW;
    private final double maxGradNorm;
    private final List<Segment> segments = new ArrayList<>();
    private final int total;
    private final int shardStart;
    private final int shardEnd;
    /** Whether every worker updates every parameter (from gathered sums) rather than its shard. */
    private final boolean replicated;
    /** The floats this worker's AdamW updates, {@code [updateStart, updateEnd)}: its shard, or all of them when replicated. */
    private final int updateStart;
    private final int updateEnd;
    /** Where worker r's shard starts in the flat vector, r = 0..N. */
    private final int[] bounds;
    /** The flat gradient this worker sends from, the flat parameters it updates and gathers into, the summed gradient it updates from. */
    private final INDArray gradFlat;
    private final INDArray paramFlat;
    private final INDArray summed;
    private final INDArray expAvg;
    private final INDArray expAvgSq;
    private long step;
    /** The reduce-scatter in buckets started by the backward pass, or null: one reduce-scatter in {@link #step}. */
    private final GradientBuckets buckets;
    private long bucketWaitNanos;
    /** The all-gather in pieces behind the next forward pass, or null: one all-gather at the end of {@link #step}. */
    private final ParameterGather gather;
    private final List<Bound> bounded = new ArrayList<>();

    /** Where one parameter sits in the flat vector, with its optimizer group. */
    record Segment(String name, Parameter param, int offset, int length, double lr, double weightDecay) {
    }

    /** A parameter's values kept within {@code [min, max]} after every update; {@code index}: its segment, -1 when it is not trained. */
    private record Bound(Parameter param, int index, double min, double max) {
    }

    public ShardedOptimizer(Map<String, Parameter> params, ParameterGroups groups, AdamW adamW, Collective group,
                            double maxGradNorm) {
        this(params, groups, adamW, group, maxGradNorm, 0);
    }

    /**
     * @param bucketFloats floats per gradient bucket, exchanged on the group's side channel while
     *                     the backward pass goes on (see {@link #gradientsReady}); 0: no buckets,
     *                     the whole gradient is reduce-scattered in {@link #step}
     */
    public ShardedOptimizer(Map<String, Parameter> params, ParameterGroups groups, AdamW adamW, Collective group,
                            double maxGradNorm, int bucketFloats) {
        this(params, groups, adamW, group, maxGradNorm, bucketFloats, false);
    }

    /**
     * @param overlapGather whether the all-gather of updated parameters runs behind the next
     *                      forward pass, on the group's side channel (see {@link #parametersNeeded})
     */
    public ShardedOptimizer(Map<String, Parameter> params, ParameterGroups groups, AdamW adamW, Collective group,
                            double maxGradNorm, int bucketFloats, boolean overlapGather) {
        this(params, groups, adamW, group, maxGradNorm, bucketFloats, overlapGather, false);
    }

    /**
     * @param replicated whether every worker updates every parameter from the gathered sums (see
     *                   the class comment); there is then no gather of parameters to overlap
     */
    public ShardedOptimizer(Map<String, Parameter> params, ParameterGroups groups, AdamW adamW, Collective group,
                            double maxGradNorm, int bucketFloats, boolean overlapGather, boolean replicated) {
        this.group = group;
        this.replicated = replicated;
        this.adamW = adamW;
        this.maxGradNorm = maxGradNorm;
        int offset = 0;
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            Parameter p = e.getValue();
            if (!p.trainable()) {
                continue;
            }
            if (p.value().dataType() != DataType.FLOAT) {
                throw new IllegalArgumentException("the parameter server carries float32 parameters; " + e.getKey()
                        + " is " + p.value().dataType());
            }
            ParameterGroups.Group g = groups.groupOf(e.getKey());
            segments.add(new Segment(e.getKey(), p, offset, (int) p.size(), g.lr(), g.weightDecay()));
            offset += (int) p.size();
        }
        this.total = offset;
        if (total < group.size()) {
            throw new IllegalArgumentException(total + " trainable values cannot be shared among " + group.size() + " workers");
        }
        this.shardStart = shardStart(group.rank());
        this.shardEnd = shardStart(group.rank() + 1);
        if ((long) total * Float.BYTES > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(total + " trainable values: the exchange's flat buffers hold at most "
                    + Integer.MAX_VALUE / Float.BYTES);
        }
        this.bounds = new int[group.size() + 1];
        for (int r = 0; r <= group.size(); r++) {
            bounds[r] = shardStart(r);
        }
        this.updateStart = replicated ? 0 : shardStart;
        this.updateEnd = replicated ? total : shardEnd;
        int updated = updateEnd - updateStart;
        this.gradFlat = StepMemory.outside(() -> Nd4j.zeros(DataType.FLOAT, total));
        this.paramFlat = StepMemory.outside(() -> Nd4j.zeros(DataType.FLOAT, total));
        this.summed = StepMemory.outside(() -> Nd4j.zeros(DataType.FLOAT, updated));
        this.expAvg = StepMemory.outside(() -> Nd4j.zeros(DataType.FLOAT, updated));
        this.expAvgSq = StepMemory.outside(() -> Nd4j.zeros(DataType.FLOAT, updated));
        this.buckets = bucketFloats > 0
                ? new GradientBuckets(group.sideChannel(), segments, i -> copyGradient(segments.get(i)), bytes(gradFlat),
                        replicated ? null : bytes(summed), bounds, bucketFloats, replicated ? group.sideChannel().sideChannel() : null,
                        replicated ? bytes(summed) : null)
                : null;
        this.gather = overlapGather && !replicated
                ? new ParameterGather(group.sideChannel(), segments, i -> placeParameter(segments.get(i)), bytes(paramFlat), bounds)
                : null;
        copyParameters();
    }

    /**
     * What the model's forward pass tells before it reads a module's parameters
     * ({@link clip.layers.Module#onParametersNeeded}), when the gather is overlapped: it waits for
     * the pieces of the last step's gather that cover them and puts them in place.
     */
    public ParametersNeeded parametersNeeded() {
        return gather == null ? ParametersNeeded.NONE : gather::need;
    }

    /**
     * Waits until every parameter holds the last step's value: what whatever reads the parameters
     * outside a forward pass calls first (evaluation, export, the end of training). Returns at
     * once when the gather is not overlapped.
     */
    public void awaitParameters() {
        if (gather != null) {
            gather.finish();
        }
    }

    /**
     * Keeps {@code p}'s values within {@code [min, max]} after every update (OpenCLIP's clamp of
     * the logit scale), applied by the owner of each value before the gather; a value outside is
     * set to the nearer bound, computed in double and stored as a float. A parameter not trained
     * is held by every worker and set in place (as OpenCLIP clamps a frozen scale too).
     */
    public void keepWithin(Parameter p, double min, double max) {
        Integer index = indexOf(segments).get(p);
        bounded.add(new Bound(p, index == null ? -1 : index, min, max));
    }

    /**
     * The first value of {@code p} after the last step, without waiting for the gather where this
     * worker knows it already: a parameter not trained, or, while a gather is under way, one whose
     * first value this worker's shard holds (the logit scale comes first in the vector: worker 0's).
     */
    public double valueAfterStep(Parameter p) {
        for (Segment seg : segments) {
            if (seg.param() == p) {
                if (gather != null && gather.underWay() && seg.offset() >= shardStart && seg.offset() < shardEnd) {
                    return paramFlat.getFloat(seg.offset());
                }
                awaitParameters();
            }
        }
        return p.value().getDouble(0); // in place, or not trained
    }

    /** Seconds the forward passes and readers waited for the overlapped gather since the last call (0 when not overlapped). */
    public double gatherWaitSeconds() {
        return gather == null ? 0 : gather.waitNanos() / 1e9;
    }

    /**
     * What the model's backward pass tells as it finishes each module's gradients
     * ({@link clip.layers.Module#onGradientsReady}), when this optimizer exchanges in buckets. Every
     * gradient it reports must be final for the step: not with micro-batches, nor with parts whose
     * gradients are added after the backward pass.
     */
    public GradientsReady gradientsReady() {
        if (buckets == null) {
            return GradientsReady.NONE;
        }
        // the buckets use the side channel, which the gather's pieces must have left first (every worker in the same order)
        return m -> {
            awaitParameters();
            buckets.ready(m);
        };
    }

    /** A step skipped before the update (a non-finite loss): the buckets already under way are let finish, as on every worker. */
    public void skip() {
        awaitParameters();
        if (buckets != null) {
            awaitBuckets();
        }
    }

    private void awaitBuckets() {
        long start = System.nanoTime();
        buckets.finish();
        bucketWaitNanos = System.nanoTime() - start;
    }

    /** Seconds the last step waited for gradient buckets still under way after the backward pass (0 without buckets). */
    public double bucketWaitSeconds() {
        return bucketWaitNanos / 1e9;
    }

    private int shardStart(int rank) {
        return (int) ((long) total * rank / group.size());
    }

    /**
     * One synchronous update from the workers' local gradients; returns the global norm before
     * clipping. A non-finite norm is a skipped step (every worker sees the same norm): nothing
     * changes, not even the step count AdamW's bias correction reads (see clip.train.TrainStep).
     */
    public double step(double lrFactor) {
        awaitParameters();
        if (buckets != null) {
            awaitBuckets();
        } else {
            segments.forEach(this::copyGradient);
            group.reduceScatterSum(bytes(gradFlat), bounds, ownSums());
            if (replicated) {
                group.allGather(bytes(summed), bounds);
            }
        }
        FloatBuffer grad = bytes(summed).asFloatBuffer();
        double norm = Math.sqrt(replicated ? sumOfSquaresAsSummed(grad) : group.allReduceSum(new double[] {sumOfSquares(grad)})[0]);
        if (!Double.isFinite(norm)) {
            return norm;
        }
        step++;
        double scale = GradientClipping.scale(norm, maxGradNorm);
        if (scale != 1.0) {
            scale(grad, (float) scale);
        }
        update(slice(paramFlat, updateStart, updateEnd), summed, lrFactor);
        bounded.forEach(this::keepUpdatedWithin);
        if (replicated) {
            segments.forEach(this::placeParameter);
        } else if (gather != null) {
            gather.start(group);
        } else {
            group.allGather(bytes(paramFlat), bounds);
            segments.forEach(this::placeParameter);
        }
        return norm;
    }

    /** Where this worker's shard of one reduce-scatter's sums goes: all of {@link #summed}, or its part of the whole vector when replicated. */
    private ByteBuffer ownSums() {
        return bytes(summed).slice((shardStart - updateStart) * Float.BYTES, (shardEnd - shardStart) * Float.BYTES)
                .order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * The squared norm of the whole summed gradient as the sharded update finds it, without an
     * exchange: each shard's sum of squares, added in rank order as {@link Collective#allReduceSum}
     * adds them, so both updates clip by the same bits.
     */
    private double sumOfSquaresAsSummed(FloatBuffer whole) {
        double sum = 0;
        for (int r = 0; r < group.size(); r++) {
            sum += Collective.asSent(sumOfSquares(whole.slice(bounds[r], bounds[r + 1] - bounds[r])));
        }
        return sum;
    }

    private void placeParameter(Segment seg) {
        seg.param().value().assign(slice(paramFlat, seg.offset(), seg.offset() + seg.length()).reshape(seg.param().value().shape()));
    }

    /** The values of a bounded parameter this worker updates set within its bounds. */
    private void keepUpdatedWithin(Bound b) {
        if (b.index() < 0) {
            INDArray v = b.param().value();
            for (long i = 0; i < v.length(); i++) {
                double x = v.getDouble(i);
                if (x < b.min() || x > b.max()) {
                    v.putScalar(i, Math.max(b.min(), Math.min(b.max(), x)));
                }
            }
            return;
        }
        Segment seg = segments.get(b.index());
        int from = Math.max(seg.offset(), updateStart);
        int to = Math.min(seg.offset() + seg.length(), updateEnd);
        FloatBuffer values = bytes(paramFlat).asFloatBuffer();
        for (int i = from; i < to; i++) {
            double v = values.get(i);
            if (v < b.min() || v > b.max()) {
                values.put(i, (float) Math.max(b.min(), Math.min(b.max(), v)));
            }
        }
    }

    /** The segments' floats as runs of adjacent ones, {@code [from, to)} each, in vector order. */
    static List<int[]> runs(List<Segment> parts) {
        List<Segment> sorted = new ArrayList<>(parts);
        sorted.sort(Comparator.comparingInt(Segment::offset));
        List<int[]> runs = new ArrayList<>();
        for (Segment s : sorted) {
            int[] last = runs.isEmpty() ? null : runs.get(runs.size() - 1);
            if (last != null && last[1] == s.offset()) {
                last[1] += s.length();
            } else {
                runs.add(new int[] {s.offset(), s.offset() + s.length()});
            }
        }
        return runs;
    }

    /** Each segment's index, by its parameter. */
    static Map<Parameter, Integer> indexOf(List<Segment> segments) {
        Map<Parameter, Integer> out = new IdentityHashMap<>();
        for (int i = 0; i < segments.size(); i++) {
            out.put(segments.get(i).param(), i);
        }
        return out;
    }

    /** One daemon thread at most, which lets go of itself when idle: its tasks run in the order they came. */
    static ThreadPoolExecutor orderedThread(String name) {
        return new ThreadPoolExecutor(0, 1, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    /** The workers' shard bounds cut to floats {@code [from, to)} of the vector, from 0: each worker's part of that range. */
    static int[] boundsWithin(int[] bounds, int from, int to) {
        int[] cut = new int[bounds.length];
        for (int r = 0; r < bounds.length; r++) {
            cut[r] = Math.max(from, Math.min(to, bounds[r])) - from;
        }
        return cut;
    }

    // The shard's sum of squares and its clipping go through a float[] a chunk at a time, and the sum
    // into four running sums (element i into sum i mod 4, added pairwise at the end, the same order on
    // every run): one sum added a float at a time from the buffer waited on each addition, 12-14 ms
    // a step for the tiny model's 9.7M values, 6 ms now.
    private static final int CHUNK = 1 << 14;

    private static double sumOfSquares(FloatBuffer values) {
        float[] chunk = new float[CHUNK];
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int total = values.limit();
        for (int from = 0; from < total; from += CHUNK) {
            int n = Math.min(CHUNK, total - from);
            values.get(from, chunk, 0, n);
            int i = 0;
            for (; i + 4 <= n; i += 4) {
                s0 += (double) chunk[i] * chunk[i];
                s1 += (double) chunk[i + 1] * chunk[i + 1];
                s2 += (double) chunk[i + 2] * chunk[i + 2];
                s3 += (double) chunk[i + 3] * chunk[i + 3];
            }
            for (; i < n; i++) { // only the last chunk can end off a multiple of four (CHUNK is one)
                s0 += (double) chunk[i] * chunk[i];
            }
        }
        return (s0 + s1) + (s2 + s3);
    }

    private static void scale(FloatBuffer values, float factor) {
        float[] chunk = new float[CHUNK];
        for (int from = 0; from < values.limit(); from += CHUNK) {
            int n = Math.min(CHUNK, values.limit() - from);
            values.get(from, chunk, 0, n);
            for (int i = 0; i < n; i++) {
                chunk[i] *= factor;
            }
            values.put(from, chunk, 0, n);
        }
    }

    /**
     * The parameters into their flat vector, which updates and the all-gather then keep equal to
     * them: at the start and after a restore only (it copied every parameter on every step before).
     */
    private void copyParameters() {
        for (Segment seg : segments) {
            slice(paramFlat, seg.offset(), seg.offset() + seg.length()).assign(seg.param().value().reshape('c', new long[] {seg.length()}));
        }
    }

    private void copyGradient(Segment seg) {
        slice(gradFlat, seg.offset(), seg.offset() + seg.length()).assign(seg.param().grad().reshape('c', new long[] {seg.length()}));
    }

    /** The native memory of a flat float array, as little-endian bytes the exchange sends from and receives into. */
    private static ByteBuffer bytes(INDArray flat) {
        return flat.data().asNio().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** A part of one parameter's flattened values, {@code [from, to)}. */
    public record Range(String name, int from, int to) {
    }

    /** The trainable parameters in flat order, with their shapes. */
    public Map<String, long[]> parameters() {
        Map<String, long[]> out = new LinkedHashMap<>();
        for (Segment seg : segments) {
            out.put(seg.name(), seg.param().value().shape());
        }
        return out;
    }

    /** The parts of the parameters that worker {@code rank} owns: its slice of the flat vector, cut at parameter bounds. */
    public List<Range> owned(int rank) {
        int start = shardStart(rank);
        int end = shardStart(rank + 1);
        List<Range> out = new ArrayList<>();
        for (Segment seg : segments) {
            int from = Math.max(seg.offset(), start);
            int to = Math.min(seg.offset() + seg.length(), end);
            if (from < to) {
                out.add(new Range(seg.name(), from - seg.offset(), to - seg.offset()));
            }
        }
        return out;
    }

    /**
     * This worker's part of a checkpoint, state-dict style: for each parameter it owns (wholly or
     * in part, see {@link #owned}) the owned values under the parameter's name and its AdamW
     * moments under {@code name.exp_avg} and {@code name.exp_avg_sq}, all flattened. Every worker
     * holds all parameters after a step, but writing only a part each spreads the writing over
     * the workers, and the parts of all workers rebuild every parameter whole for any N.
     */
    public Map<String, INDArray> ownedState() {
        awaitParameters();
        float[] params = flatten(false);
        float[] m = expAvg.data().asFloat();
        float[] v = expAvgSq.data().asFloat();
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (Range r : owned(group.rank())) {
            int at = offsetOf(r.name()) + r.from();
            int n = r.to() - r.from();
            out.put(r.name(), Nd4j.createFromArray(Arrays.copyOfRange(params, at, at + n)));
            out.put(r.name() + EXP_AVG, Nd4j.createFromArray(Arrays.copyOfRange(m, at - updateStart, at - updateStart + n)));
            out.put(r.name() + EXP_AVG_SQ, Nd4j.createFromArray(Arrays.copyOfRange(v, at - updateStart, at - updateStart + n)));
        }
        return out;
    }

    /** The number of workers the parameters are sliced among. */
    public int workers() {
        return group.size();
    }

    /** Steps taken, which AdamW's bias correction needs back after a resume. */
    public long steps() {
        return step;
    }

    /** The L2 norm of all trainable parameters (the same on every worker, which all hold the same values). */
    public double parameterNorm() {
        awaitParameters();
        double sumSq = 0;
        for (float x : flatten(false)) {
            sumSq += (double) x * x;
        }
        return Math.sqrt(sumSq);
    }

    /**
     * Restores every parameter and this worker's moments by name from whole, flattened tensors
     * (the keys of {@link #ownedState}, each parameter complete), which may come from a run with
     * any number of workers: the names map to this optimizer's flat layout.
     *
     * @throws IllegalArgumentException when a trainable parameter is missing or has another size
     */
    public void restore(Map<String, float[]> state, long steps) {
        awaitParameters(); // a gather under way would overwrite what is restored
        for (Segment seg : segments) {
            for (String key : List.of(seg.name(), seg.name() + EXP_AVG, seg.name() + EXP_AVG_SQ)) {
                float[] values = state.get(key);
                if (values == null || values.length != seg.length()) {
                    throw new IllegalArgumentException(key + (values == null ? " is missing" : " has " + values.length
                            + " values, the model " + seg.length()));
                }
            }
        }
        for (Segment seg : segments) {
            seg.param().value().assign(Nd4j.createFromArray(state.get(seg.name())).reshape(seg.param().value().shape()));
            int from = Math.max(seg.offset(), updateStart);
            int to = Math.min(seg.offset() + seg.length(), updateEnd);
            if (from < to) {
                int a = from - seg.offset();
                int b = to - seg.offset();
                slice(expAvg, from - updateStart, to - updateStart).assign(
                        Nd4j.createFromArray(Arrays.copyOfRange(state.get(seg.name() + EXP_AVG), a, b)));
                slice(expAvgSq, from - updateStart, to - updateStart).assign(
                        Nd4j.createFromArray(Arrays.copyOfRange(state.get(seg.name() + EXP_AVG_SQ), a, b)));
            }
        }
        copyParameters();
        this.step = steps;
    }

    private int offsetOf(String name) {
        for (Segment seg : segments) {
            if (seg.name().equals(name)) {
                return seg.offset();
            }
        }
        throw new IllegalArgumentException("no trainable parameter " + name);
    }

    /** AdamW on the parameters {@code p} this worker updates, from their summed (and clipped) gradient {@code g}. */
    private void update(INDArray p, INDArray g, double lrFactor) {
        for (Segment seg : segments) {
            int from = Math.max(seg.offset(), updateStart);
            int to = Math.min(seg.offset() + seg.length(), updateEnd);
            if (from >= to) {
                continue;
            }
            int a = from - updateStart;
            int b = to - updateStart;
            adamW.update(slice(p, a, b), slice(g, a, b), slice(expAvg, a, b), slice(expAvgSq, a, b),
                    seg.lr() * lrFactor, seg.weightDecay(), step);
        }
    }

    private static INDArray slice(INDArray flat, int from, int to) {
        return flat.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(from, to));
    }

    private float[] flatten(boolean gradients) {
        float[] out = new float[total];
        for (Segment seg : segments) {
            INDArray a = gradients ? seg.param().grad() : seg.param().value();
            float[] v = a.dup('c').data().asFloat();
            System.arraycopy(v, 0, out, seg.offset(), seg.length());
        }
        return out;
    }
}
