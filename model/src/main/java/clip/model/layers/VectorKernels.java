package clip.model.layers;

import java.nio.FloatBuffer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Fused single-precision kernels for the element-wise and row-wise layers, on the JDK's Vector
 * API. ND4J runs GELU as five native passes forward and seven backward, its erf is scalar (about
 * 4 ns an element here) and LayerNorm is a dozen passes; together they were a quarter of a small
 * tower's training step. Here each is one pass over the data, a chunk at a time, with exp from
 * the JDK's SIMD math library. Callers check {@link VectorMath#applies} first and keep their
 * ND4J formulation, which the double-precision gradient checks cover, for everything else; the
 * kernels are tested against it.
 */
final class VectorKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = S.length();
    private static final int CHUNK = 4096;
    private static final int SUM_BLOCK = 32;
    private static final FloatVector ONE = FloatVector.broadcast(S, 1f);

    // Abramowitz & Stegun 7.1.26: erf(z) = 1 - t (a1 + t (a2 + ...)) exp(-z^2), t = 1 / (1 + p z),
    // |error| < 1.5e-7, which is below float resolution near 1 and what PyTorch's vectorised CPU erf uses.
    private static final float P = 0.3275911f;
    private static final float A1 = 0.254829592f;
    private static final float A2 = -0.284496736f;
    private static final float A3 = 1.421413741f;
    private static final float A4 = -1.453152027f;
    private static final float A5 = 1.061405429f;
    private static final float FRAC_1_SQRT_2 = (float) (1 / Math.sqrt(2));
    private static final float FRAC_1_SQRT_2PI = (float) (1 / Math.sqrt(2 * Math.PI));
    private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2 / Math.PI);
    private static final float TANH_CUBIC = 0.044715f;
    private static final float QUICK = 1.702f;

    private VectorKernels() {
    }

    /** A kernel over one chunk: reads {@code x} (and {@code dy}), writes {@code out}, whole vectors up to {@code len}. */
    private interface Chunk {
        void apply(float[] x, float[] dy, float[] out, int len);
    }

    /** The activation of {@code x}, a new array. */
    static INDArray activation(ActivationKind kind, INDArray x) {
        return map(x, null, switch (kind) {
            case GELU -> VectorKernels::gelu;
            case GELU_TANH -> VectorKernels::geluTanh;
            case QUICK_GELU -> VectorKernels::quickGelu;
            case RELU -> throw new IllegalArgumentException("relu has no vector kernel");
        });
    }

    /** dL/dx of the activation at {@code x}, given dL/dy: recomputed from x, so the forward pass keeps nothing else. */
    static INDArray activationBackward(ActivationKind kind, INDArray x, INDArray dy) {
        return map(x, dy, switch (kind) {
            case GELU -> VectorKernels::geluBackward;
            case GELU_TANH -> VectorKernels::geluTanhBackward;
            case QUICK_GELU -> VectorKernels::quickGeluBackward;
            case RELU -> throw new IllegalArgumentException("relu has no vector kernel");
        });
    }

    private static void gelu(float[] x, float[] dy, float[] out, int len) {
        for (int i = 0; i < len; i += LANES) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            normalCdf(v, gaussian(v)).mul(v).intoArray(out, i);
        }
    }

    private static void geluBackward(float[] x, float[] dy, float[] out, int len) {
        for (int i = 0; i < len; i += LANES) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            FloatVector e = gaussian(v);
            // d/dx x Phi(x) = Phi(x) + x phi(x), phi(x) = e / sqrt(2 pi)
            FloatVector slope = v.mul(e).mul(FRAC_1_SQRT_2PI).add(normalCdf(v, e));
            slope.mul(FloatVector.fromArray(S, dy, i)).intoArray(out, i);
        }
    }

    /** exp(-x^2 / 2): the erf approximation's factor and, over sqrt(2 pi), the normal density. */
    private static FloatVector gaussian(FloatVector x) {
        return x.mul(x).mul(-0.5f).lanewise(VectorOperators.EXP);
    }

    /** Phi(x) = (1 + erf(x / sqrt 2)) / 2, given e = exp(-x^2 / 2); the lower tail without cancellation. */
    private static FloatVector normalCdf(FloatVector x, FloatVector e) {
        FloatVector z = x.abs().mul(FRAC_1_SQRT_2);
        FloatVector t = ONE.div(z.mul(P).add(1f));
        FloatVector halfTail = t.mul(A5).add(A4).mul(t).add(A3).mul(t).add(A2).mul(t).add(A1).mul(t).mul(e).mul(0.5f);
        VectorMask<Float> negative = x.lt(0f);
        return halfTail.neg().add(1f).blend(halfTail, negative);
    }

    private static void geluTanh(float[] x, float[] dy, float[] out, int len) {
        for (int i = 0; i < len; i += LANES) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            tanhOfArgument(v).add(1f).mul(v).mul(0.5f).intoArray(out, i);
        }
    }

    private static void geluTanhBackward(float[] x, float[] dy, float[] out, int len) {
        for (int i = 0; i < len; i += LANES) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            FloatVector t = tanhOfArgument(v);
            FloatVector inner = v.mul(v).mul(3 * TANH_CUBIC).add(1f).mul(SQRT_2_OVER_PI);
            FloatVector sech2 = t.mul(t).neg().add(1f);
            FloatVector slope = sech2.mul(inner).mul(v).add(t).add(1f).mul(0.5f);
            slope.mul(FloatVector.fromArray(S, dy, i)).intoArray(out, i);
        }
    }

    private static FloatVector tanhOfArgument(FloatVector x) {
        return x.mul(x).mul(TANH_CUBIC).add(1f).mul(x).mul(SQRT_2_OVER_PI).lanewise(VectorOperators.TANH);
    }

    private static void quickGelu(float[] x, float[] dy, float[] out, int len) {
        for (int i = 0; i < len; i += LANES) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            sigmoid(v.mul(QUICK)).mul(v).intoArray(out, i);
        }
    }

    private static void quickGeluBackward(float[] x, float[] dy, float[] out, int len) {
        for (int i = 0; i < len; i += LANES) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            FloatVector s = sigmoid(v.mul(QUICK));
            FloatVector slope = s.neg().add(1f).mul(s).mul(v).mul(QUICK).add(s);
            slope.mul(FloatVector.fromArray(S, dy, i)).intoArray(out, i);
        }
    }

    private static FloatVector sigmoid(FloatVector x) {
        return ONE.div(x.neg().lanewise(VectorOperators.EXP).add(1f));
    }

    /**
     * LayerNorm of each row of {@code x} [rows, dim]: writes the normalised rows, 1/std per row
     * and {@code y = normalized * gain + bias}.
     */
    static void layerNorm(INDArray x, INDArray gain, INDArray bias, double eps, INDArray normalized, INDArray rstd, INDArray y) {
        int dim = (int) gain.length();
        int rows = (int) (x.length() / dim);
        float[] gv = toArray(gain);
        float[] bv = toArray(bias);
        FloatBuffer in = floats(x);
        FloatBuffer outNorm = floats(normalized);
        FloatBuffer outY = floats(y);
        FloatBuffer outRstd = floats(rstd);
        float[] row = new float[dim];
        float[] norm = new float[dim];
        float[] result = new float[dim];
        int bound = S.loopBound(dim);
        for (int r = 0; r < rows; r++) {
            in.get(r * dim, row, 0, dim);
            float mean = sum(row, null, dim) / dim;
            FloatVector acc = FloatVector.zero(S);
            int i = 0;
            for (; i < bound; i += LANES) {
                FloatVector c = FloatVector.fromArray(S, row, i).sub(mean);
                acc = c.fma(c, acc);
            }
            float ss = acc.reduceLanes(VectorOperators.ADD);
            for (; i < dim; i++) {
                float c = row[i] - mean;
                ss += c * c;
            }
            float inv = (float) (1 / Math.sqrt(ss / dim + eps));
            for (i = 0; i < bound; i += LANES) {
                FloatVector n = FloatVector.fromArray(S, row, i).sub(mean).mul(inv);
                n.intoArray(norm, i);
                n.fma(FloatVector.fromArray(S, gv, i), FloatVector.fromArray(S, bv, i)).intoArray(result, i);
            }
            for (; i < dim; i++) {
                norm[i] = (row[i] - mean) * inv;
                result[i] = norm[i] * gv[i] + bv[i];
            }
            outNorm.put(r * dim, norm, 0, dim);
            outY.put(r * dim, result, 0, dim);
            outRstd.put(r, inv);
        }
    }

    /** dL/dx of LayerNorm from dL/dy and the forward pass's normalised rows and 1/std (gain and bias gradients are the caller's). */
    static INDArray layerNormBackward(INDArray dy, INDArray normalized, INDArray rstd, INDArray gain) {
        int dim = (int) gain.length();
        int rows = (int) (dy.length() / dim);
        INDArray dx = Nd4j.createUninitialized(DataType.FLOAT, dy.shape());
        float[] gv = toArray(gain);
        FloatBuffer inDy = floats(dy);
        FloatBuffer inNorm = floats(normalized);
        FloatBuffer inRstd = floats(rstd);
        FloatBuffer out = floats(dx);
        float[] d = new float[dim];
        float[] n = new float[dim];
        int bound = S.loopBound(dim);
        for (int r = 0; r < rows; r++) {
            inDy.get(r * dim, d, 0, dim);
            inNorm.get(r * dim, n, 0, dim);
            int i = 0;
            for (; i < bound; i += LANES) {
                FloatVector.fromArray(S, d, i).mul(FloatVector.fromArray(S, gv, i)).intoArray(d, i);
            }
            for (; i < dim; i++) {
                d[i] *= gv[i];
            }
            // dx = (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) / std
            float meanD = sum(d, null, dim) / dim;
            float meanDn = sum(d, n, dim) / dim;
            float inv = inRstd.get(r);
            for (i = 0; i < bound; i += LANES) {
                FloatVector nv = FloatVector.fromArray(S, n, i);
                FloatVector.fromArray(S, d, i).sub(meanD).sub(nv.mul(meanDn)).mul(inv).intoArray(d, i);
            }
            for (; i < dim; i++) {
                d[i] = (d[i] - meanD - n[i] * meanDn) * inv;
            }
            out.put(r * dim, d, 0, dim);
        }
        return dx;
    }

    /**
     * {@code acc[c] += sum_r a[r, c]} (times {@code b[r, c]} when given) for [rows, acc.length]
     * arrays. Partial sums run in float over {@value #SUM_BLOCK} rows at a time and are added in
     * double, so the error does not grow with the number of rows.
     */
    static void addColumnSums(INDArray a, INDArray b, double[] acc) {
        int cols = acc.length;
        int rows = (int) (a.length() / cols);
        FloatBuffer fa = floats(a);
        FloatBuffer fb = b == null ? null : floats(b);
        float[] ra = new float[cols];
        float[] rb = b == null ? null : new float[cols];
        float[] block = new float[cols];
        int bound = S.loopBound(cols);
        for (int first = 0; first < rows; first += SUM_BLOCK) {
            java.util.Arrays.fill(block, 0f);
            for (int r = first; r < Math.min(rows, first + SUM_BLOCK); r++) {
                fa.get(r * cols, ra, 0, cols);
                if (fb != null) {
                    fb.get(r * cols, rb, 0, cols);
                }
                int c = 0;
                for (; c < bound; c += LANES) {
                    FloatVector v = FloatVector.fromArray(S, ra, c);
                    FloatVector s = FloatVector.fromArray(S, block, c);
                    (rb == null ? v.add(s) : v.fma(FloatVector.fromArray(S, rb, c), s)).intoArray(block, c);
                }
                for (; c < cols; c++) {
                    block[c] += rb == null ? ra[c] : ra[c] * rb[c];
                }
            }
            for (int c = 0; c < cols; c++) {
                acc[c] += block[c];
            }
        }
    }

    /** sum of a[i] (times b[i] when given) over the first n elements. */
    private static float sum(float[] a, float[] b, int n) {
        FloatVector acc = FloatVector.zero(S);
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += LANES) {
            FloatVector v = FloatVector.fromArray(S, a, i);
            acc = b == null ? acc.add(v) : v.fma(FloatVector.fromArray(S, b, i), acc);
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            s += b == null ? a[i] : a[i] * b[i];
        }
        return s;
    }

    private static INDArray map(INDArray x, INDArray dy, Chunk kernel) {
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, x.shape());
        FloatBuffer in = floats(x);
        FloatBuffer grad = dy == null ? null : floats(dy);
        FloatBuffer result = floats(out);
        int n = (int) x.length();
        float[] cx = new float[CHUNK];
        float[] cd = dy == null ? null : new float[CHUNK];
        float[] co = new float[CHUNK];
        for (int start = 0; start < n; start += CHUNK) {
            int len = Math.min(CHUNK, n - start);
            in.get(start, cx, 0, len);
            if (grad != null) {
                grad.get(start, cd, 0, len);
            }
            // The last chunk's lanes past len hold finite leftovers; they are computed and never written back.
            kernel.apply(cx, cd, co, len);
            result.put(start, co, 0, len);
        }
        return out;
    }

    private static float[] toArray(INDArray v) {
        float[] a = new float[(int) v.length()];
        floats(v).get(0, a);
        return a;
    }

    /** The array's elements as a buffer from its first element (a view's data() already starts there). */
    private static FloatBuffer floats(INDArray x) {
        return new FloatPointer(x.data().addressPointer()).capacity(x.length()).asBuffer();
    }
}
