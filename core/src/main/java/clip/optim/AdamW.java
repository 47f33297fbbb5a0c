package clip.optim;

import java.nio.ByteBuffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import clip.layers.Halves;
import clip.layers.RowMajor;
import clip.layers.VectorMath;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * torch.optim.AdamW's update, operation for operation in the parameters' precision (decay
 * first, then the bias-corrected Adam step with eps added after dividing sqrt(v) by
 * sqrt(1 - beta2^t)), on any contiguous segment of parameters: a whole tensor, or a
 * parameter-server shard's slice of one.
 *
 * <p>One fused pass over the four buffers: measured 6.5x faster here than the same update as
 * separate ND4J ops (61 vs 400 ms for 9.7M parameters), which each allocate and sweep memory;
 * with the Vector API it reads and writes the buffers directly ({@link AdamWVectors}).
 */
public final class AdamW {
    private static final int CHUNK = 4096;
    /** Below this many elements an update runs on the caller's thread alone. */
    private static final int PARALLEL_MIN = 1 << 18;
    private final double beta1;
    private final double beta2;
    private final double eps;

    public AdamW(double beta1, double beta2, double eps) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
    }

    /**
     * @param step the 1-based step count of this segment's state
     */
    public void update(INDArray param, INDArray grad, INDArray expAvg, INDArray expAvgSq, double lr, double weightDecay,
                       long step) {
        int n = (int) param.length();
        double stepSize = lr / (1 - Math.pow(beta1, step));
        double correction2Sqrt = Math.sqrt(1 - Math.pow(beta2, step));
        if (param.dataType() == DataType.FLOAT) {
            FloatStep c = new FloatStep((float) beta1, (float) beta2, (float) (1 - beta1), (float) (1 - beta2),
                    (float) correction2Sqrt, (float) eps, (float) -stepSize, (float) (1 - lr * weightDecay));
            updateFloats(param, grad, expAvg, expAvgSq, c, VectorMath.moduleLoaded());
        } else {
            double decay = 1 - lr * weightDecay;
            DoubleBuffer p = doubles(param);
            DoubleBuffer g = doubles(grad);
            DoubleBuffer m = doubles(expAvg);
            DoubleBuffer v = doubles(expAvgSq);
            for (int i = 0; i < n; i++) {
                double gi = g.get(i);
                double mi = m.get(i) * beta1 + (1 - beta1) * gi;
                double vi = v.get(i) * beta2 + (1 - beta2) * gi * gi;
                m.put(i, mi);
                v.put(i, vi);
                p.put(i, p.get(i) * decay - stepSize * (mi / (Math.sqrt(vi) / correction2Sqrt + eps)));
            }
        }
    }

    /** The float update's coefficients, rounded to float once. */
    record FloatStep(float beta1, float beta2, float oneMinusBeta1, float oneMinusBeta2, float correction2Sqrt, float eps,
                     float minusStepSize, float decay) {
    }

    /** The float update, through the Vector API or (without it) through arrays: the same bits. */
    static void updateFloats(INDArray param, INDArray grad, INDArray expAvg, INDArray expAvgSq, FloatStep c, boolean vectorApi) {
        int n = (int) param.length();
        if (vectorApi) {
            ByteBuffer p = bytes(param);
            ByteBuffer g = bytes(grad);
            ByteBuffer m = bytes(expAvg);
            ByteBuffer v = bytes(expAvgSq);
            Halves.run(n, CHUNK, PARALLEL_MIN, (from, to) -> AdamWVectors.update(p, g, m, v, from, to, c));
        } else {
            updateThroughArrays(floats(param), floats(grad), floats(expAvg), floats(expAvgSq), n, c);
        }
    }

    /** Without the Vector API: the same operations on chunks copied through arrays, which the JIT vectorises. */
    private static void updateThroughArrays(FloatBuffer p, FloatBuffer g, FloatBuffer m, FloatBuffer v, int n, FloatStep c) {
        Halves.run(n, CHUNK, PARALLEL_MIN, (from, to) -> {
            // Sized to the range: most parameters are biases and norms far shorter than a chunk.
            int chunk = Math.min(CHUNK, to - from);
            float[] pc = new float[chunk];
            float[] gc = new float[chunk];
            float[] mc = new float[chunk];
            float[] vc = new float[chunk];
            for (int start = from; start < to; start += CHUNK) {
                int len = Math.min(CHUNK, to - start);
                p.get(start, pc, 0, len);
                g.get(start, gc, 0, len);
                m.get(start, mc, 0, len);
                v.get(start, vc, 0, len);
                for (int i = 0; i < len; i++) {
                    float gi = gc[i];
                    float mi = mc[i] * c.beta1() + c.oneMinusBeta1() * gi;
                    float vi = vc[i] * c.beta2() + c.oneMinusBeta2() * gi * gi;
                    mc[i] = mi;
                    vc[i] = vi;
                    float denom = (float) Math.sqrt(vi) / c.correction2Sqrt() + c.eps();
                    pc[i] = pc[i] * c.decay() + c.minusStepSize() * (mi / denom);
                }
                p.put(start, pc, 0, len);
                m.put(start, mc, 0, len);
                v.put(start, vc, 0, len);
            }
        });
    }

    private static ByteBuffer bytes(INDArray a) {
        requireContiguous(a);
        return RowMajor.bytes(a);
    }

    private static FloatBuffer floats(INDArray a) {
        requireContiguous(a);
        return RowMajor.floats(a);
    }

    private static DoubleBuffer doubles(INDArray a) {
        requireContiguous(a);
        return RowMajor.doubles(a);
    }

    private static void requireContiguous(INDArray a) {
        if (!RowMajor.isPacked(a)) {
            throw new IllegalArgumentException("AdamW updates contiguous c-order segments only");
        }
    }
}
