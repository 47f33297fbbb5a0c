package clip.exchange;

import clip.layers.Parameter;
import clip.layers.StepMemory;
import clip.optim.AdamW;
import clip.optim.GradientClipping;
import clip.optim.ParameterGroups;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The parameter server, living inside the workers. The trainable parameters, flattened in name
 * order, are cut into N contiguous shards; worker s owns shard s and its AdamW state (so the
 * optimizer state takes 1/N of the memory on each worker). Per step: every worker sends shard s
 * of its gradient to worker s (reduce-scatter, summed in rank order), the owners agree on the
 * global gradient norm for clipping (an all-reduce of N scalars), update their shards, and every
 * worker fetches all updated shards (all-gather). Each worker moves 2P(N-1)/N floats, as a ring
 * all-reduce would.
 */
public final class ShardedOptimizer {
    private final Collective group;
    private final AdamW adamW;
    private final double maxGradNorm;
    private final List<Segment> segments = new ArrayList<>();
    private final int total;
    private final int shardStart;
    private final int shardEnd;
    private final INDArray expAvg;
    private final INDArray expAvgSq;
    private long step;

    /** Where one parameter sits in the flat vector, with its optimizer group. */
    private record Segment(String name, Parameter param, int offset, int length, double lr, double weightDecay) {
    }

    public ShardedOptimizer(Map<String, Parameter> params, ParameterGroups groups, AdamW adamW, Collective group,
                            double maxGradNorm) {
        this.group = group;
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
        this.expAvg = StepMemory.outside(() -> Nd4j.zeros(DataType.FLOAT, shardEnd - shardStart));
        this.expAvgSq = StepMemory.outside(() -> Nd4j.zeros(DataType.FLOAT, shardEnd - shardStart));
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
        float[] grads = flatten(true);
        float[][] send = new float[group.size()][];
        for (int s = 0; s < group.size(); s++) {
            send[s] = java.util.Arrays.copyOfRange(grads, shardStart(s), shardStart(s + 1));
        }
        float[] summed = group.reduceScatterSum(send);
        double sumSq = 0;
        for (float g : summed) {
            sumSq += (double) g * g;
        }
        double norm = Math.sqrt(group.allReduceSum(new double[] {sumSq})[0]);
        if (!Double.isFinite(norm)) {
            return norm;
        }
        step++;
        double scale = GradientClipping.scale(norm, maxGradNorm);
        float[] params = flatten(false);
        float[] shard = java.util.Arrays.copyOfRange(params, shardStart, shardEnd);
        update(shard, summed, scale, lrFactor);
        float[][] shards = group.allGather(shard);
        int at = 0;
        for (float[] s : shards) {
            System.arraycopy(s, 0, params, at, s.length);
            at += s.length;
        }
        for (Segment seg : segments) {
            seg.param().value().assign(Nd4j.createFromArray(java.util.Arrays.copyOfRange(params, seg.offset(),
                    seg.offset() + seg.length())).reshape(seg.param().value().shape()));
        }
        return norm;
    }

    /**
     * This worker's part of a checkpoint: its slice of the flat parameters and of the AdamW moments.
     * Every worker holds all parameters after a step, but writing only a slice each spreads the
     * writing over the workers, and the slices of all workers rebuild the whole for any N.
     */
    public Map<String, INDArray> stateShard() {
        float[] params = flatten(false);
        Map<String, INDArray> out = new java.util.LinkedHashMap<>();
        out.put("params", Nd4j.createFromArray(java.util.Arrays.copyOfRange(params, shardStart, shardEnd)));
        out.put("exp_avg", expAvg.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, shardEnd - shardStart)).dup());
        out.put("exp_avg_sq", expAvgSq.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, shardEnd - shardStart)).dup());
        return out;
    }

    /** Steps taken, which AdamW's bias correction needs back after a resume. */
    public long steps() {
        return step;
    }

    /** The names and sizes of the trainable parameters in flat order: a checkpoint fits only the same layout. */
    public String layout() {
        StringBuilder sb = new StringBuilder();
        for (Segment seg : segments) {
            sb.append(seg.name()).append(':').append(seg.length()).append(';');
        }
        return sb.toString();
    }

    /**
     * Restores parameters and this worker's moments from the state shards of a checkpoint, in
     * shard order; they may come from a run with a different number of workers.
     */
    public void restore(List<Map<String, INDArray>> shards, long steps) {
        float[] params = concat(shards, "params");
        float[] m = concat(shards, "exp_avg");
        float[] v = concat(shards, "exp_avg_sq");
        for (Segment seg : segments) {
            seg.param().value().assign(Nd4j.createFromArray(java.util.Arrays.copyOfRange(params, seg.offset(),
                    seg.offset() + seg.length())).reshape(seg.param().value().shape()));
        }
        if (shardEnd > shardStart) {
            expAvg.assign(Nd4j.createFromArray(java.util.Arrays.copyOfRange(m, shardStart, shardEnd)));
            expAvgSq.assign(Nd4j.createFromArray(java.util.Arrays.copyOfRange(v, shardStart, shardEnd)));
        }
        this.step = steps;
    }

    private float[] concat(List<Map<String, INDArray>> shards, String key) {
        float[] out = new float[total];
        int at = 0;
        for (Map<String, INDArray> shard : shards) {
            INDArray part = shard.get(key);
            if (part == null) {
                throw new IllegalArgumentException("checkpoint shard without '" + key + "'");
            }
            float[] f = part.data().dataType() == DataType.FLOAT ? part.dup().data().asFloat() : part.castTo(DataType.FLOAT).data().asFloat();
            int n = (int) part.length();
            if (at + n > total) {
                throw new IllegalArgumentException("checkpoint holds more than the " + total + " trainable values of this model");
            }
            System.arraycopy(f, 0, out, at, n);
            at += n;
        }
        if (at != total) {
            throw new IllegalArgumentException("checkpoint holds " + at + " values, the model has " + total + " trainable");
        }
        return out;
    }

    private void update(float[] shard, float[] grad, double scale, double lrFactor) {
        if (scale != 1.0) {
            for (int i = 0; i < grad.length; i++) {
                grad[i] *= (float) scale;
            }
        }
        INDArray p = Nd4j.createFromArray(shard);
        INDArray g = Nd4j.createFromArray(grad);
        for (Segment seg : segments) {
            int from = Math.max(seg.offset(), shardStart);
            int to = Math.min(seg.offset() + seg.length(), shardEnd);
            if (from >= to) {
                continue;
            }
            int a = from - shardStart;
            int b = to - shardStart;
            adamW.update(slice(p, a, b), slice(g, a, b), slice(expAvg, a, b), slice(expAvgSq, a, b),
                    seg.lr() * lrFactor, seg.weightDecay(), step);
        }
        p.data().asNioFloat().get(0, shard);
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
