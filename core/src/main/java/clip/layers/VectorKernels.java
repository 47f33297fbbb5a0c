package clip.layers;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Set;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Fused single-precision kernels for the element-wise and row-wise layers, on the JDK's Vector
 * API. ND4J runs GELU as five native passes forward and seven backward, its erf is scalar (about
 * 4 ns an element here) and LayerNorm is a dozen passes; together they were a quarter of a small
 * tower's training step. Here each goes over the data once, a chunk at a time. Every kernel is
 * built from exactly rounded operations in a fixed order, so its bits do not depend on whether C2
 * has compiled it yet: a job reruns and resumes to the same parameters. Callers check
 * {@link VectorMath#applies} first and keep their ND4J formulation, which the double-precision
 * gradient checks cover, for everything else; the kernels are tested against it.
 */
final class VectorKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final int LANES = S.length();
    /**
     * Elements of a chunk: a kernel's four chunk arrays (16 KB) stay in a 32 KB L1 cache. At 4,096
     * (64 KB) GELU with its slope took 3.16 ns an element on one core here, at 1,024 2.92
     * (bench/GeluCost.java, medians of five runs).
     */
    private static final int CHUNK = 1024;
    private static final int SUM_BLOCK = 32;
    /** Elements below which a kernel runs on the caller's thread alone ({@link Halves}). */
    private static final int PARALLEL_MIN = 1 << 16;
    /**
     * Calls of a kernel on a short array after which C2 has compiled it (its thresholds: 5,000
     * calls, or 600 with 15,000 loop iterations). The call's cost is C2's compilation itself:
     * arrays of 128 or 256 floats instead of 1,024 saved little of it (BENCHMARKS.md, "Twelfth
     * session").
     */
    static final int COMPILE_CALLS = 1500;
    private static final int COMPILE_LENGTH = 1024;
    private static final FloatVector ONE = FloatVector.broadcast(S, 1f);

    // Abramowitz & Stegun 7.1.26: erf(z) = 1 - t (a1 + t (a2 + ...)) exp(-z^2), t = 1 / (1 + p z),
    // |error| < 1.5e-7, which is below float resolution near 1 and what PyTorch's vectorised CPU erf uses.
    private static final float P = 0.3275911f;
    private static final float A1 = 0.254829592f;
    private static final float A2 = -0.284496736f;
    private static final float A3 = 1.421413741f;
    private static final float A4 = -1.453152027f;
    private static final float A5 = 1.061405429f;
    private static final float P_OVER_SQRT_2 = (float) (P / Math.sqrt(2));
    // FloatVector.fma rounds once, like Math.fma, whether C2 has compiled the kernel or not; its
    // addend is a vector, so the polynomials' constants are vectors too.
    private static final FloatVector A1V = FloatVector.broadcast(S, A1);
    private static final FloatVector A2V = FloatVector.broadcast(S, A2);
    private static final FloatVector A3V = FloatVector.broadcast(S, A3);
    private static final float FRAC_1_SQRT_2PI = (float) (1 / Math.sqrt(2 * Math.PI));
    private static final FloatVector FRAC_1_SQRT_2PI_V = FloatVector.broadcast(S, FRAC_1_SQRT_2PI);
    private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2 / Math.PI);
    private static final float TANH_CUBIC = 0.044715f;
    private static final float QUICK = 1.702f;

    // Cephes expf: ln 2 in two parts (the first exact in a few bits) and the polynomial for e^r
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float ROUNDER = 12582912f;
    private static final float EXP_MIN = -87.33654f;
    private static final float EXP_MAX = 88.37626f;
    private static final int ROUNDER_BITS = Float.floatToRawIntBits(ROUNDER);
    private static final float EXP_P0 = 1.9875691500e-4f;
    private static final float EXP_P1 = 1.3981999507e-3f;
    private static final float EXP_P2 = 8.3334519073e-3f;
    private static final float EXP_P3 = 4.1665795894e-2f;
    private static final float EXP_P4 = 1.6666665459e-1f;
    private static final float EXP_P5 = 5.0000001201e-1f;
    private static final FloatVector EXP_P2V = FloatVector.broadcast(S, EXP_P2);
    private static final FloatVector EXP_P3V = FloatVector.broadcast(S, EXP_P3);
    private static final FloatVector EXP_P4V = FloatVector.broadcast(S, EXP_P4);
    private static final FloatVector EXP_P5V = FloatVector.broadcast(S, EXP_P5);
    private static final FloatVector MINUS_LN2_HI = FloatVector.broadcast(S, -LN2_HI);
    private static final FloatVector MINUS_LN2_LO = FloatVector.broadcast(S, -LN2_LO);
    // Cephes tanhf, |x| < 0.625: tanh x = x + x^3 P(x^2)
    private static final float TANH_P0 = -5.70498872745e-3f;
    private static final float TANH_P1 = 2.06390887954e-2f;
    private static final float TANH_P2 = -5.37397155531e-2f;
    private static final float TANH_P3 = 1.33314422036e-1f;
    private static final float TANH_P4 = -3.33332819422e-1f;

    private VectorKernels() {
    }

    /**
     * A kernel over one chunk: reads {@code x} (and {@code dy}), writes {@code out}, whole vectors
     * up to {@code len}; {@code tmp} is scratch of the same size.
     */
    private interface Chunk {
        void apply(float[] x, float[] dy, float[] out, float[] tmp, int len);
    }

    /** The activation of {@code x}, a new array. */
    static INDArray activation(ActivationKind kind, INDArray x) {
        return map(x, null, forwardKernel(kind));
    }

    /** dL/dx of the activation at {@code x}, given dL/dy: recomputed from x, so the forward pass keeps nothing else. */
    static INDArray activationBackward(ActivationKind kind, INDArray x, INDArray dy) {
        return map(x, dy, backwardKernel(kind));
    }

    /**
     * The activation of {@code x} into {@code out} and its derivative at x into {@code slope}, from
     * one evaluation of the shared exp and erf. The output has {@link #activation}'s bits.
     */
    static void activationWithSlope(ActivationKind kind, INDArray x, INDArray out, INDArray slope) {
        PairChunk kernel = pairKernel(kind);
        FloatBuffer in = floats(x);
        FloatBuffer result = floats(out);
        FloatBuffer slopes = floats(slope);
        Halves.run((int) x.length(), CHUNK, PARALLEL_MIN, (from, to) -> {
            int chunk = chunkFor(to - from);
            float[] cx = new float[chunk];
            float[] co = new float[chunk];
            float[] cs = new float[chunk];
            float[] tmp = new float[chunk];
            for (int start = from; start < to; start += CHUNK) {
                int len = Math.min(CHUNK, to - start);
                in.get(start, cx, 0, len);
                kernel.apply(cx, co, cs, tmp, len);
                result.put(start, co, 0, len);
                slopes.put(start, cs, 0, len);
            }
        });
    }

    /** {@code slope * dy} element by element, a new array: the activation's backward pass given its slope. */
    static INDArray times(INDArray slope, INDArray dy) {
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, slope.shape());
        ByteBuffer a = RowMajor.bytes(slope);
        ByteBuffer b = RowMajor.bytes(dy);
        ByteBuffer result = RowMajor.bytes(out);
        Halves.run((int) slope.length(), CHUNK, PARALLEL_MIN, (lo, hi) -> {
            int i = lo;
            for (int bound = lo + S.loopBound(hi - lo); i < bound; i += LANES) {
                int at = i * Float.BYTES;
                FloatVector.fromByteBuffer(S, a, at, ORDER).mul(FloatVector.fromByteBuffer(S, b, at, ORDER))
                        .intoByteBuffer(result, at, ORDER);
            }
            for (; i < hi; i++) {
                int at = i * Float.BYTES;
                result.putFloat(at, a.getFloat(at) * b.getFloat(at));
            }
        });
        return out;
    }

    private interface PairChunk {
        void apply(float[] x, float[] out, float[] slope, float[] tmp, int len);
    }

    /** The activation of {@code x[0, len)} into {@code out}; the arrays are whole vectors long past len. */
    static void activation(ActivationKind kind, float[] x, float[] out, int len) {
        forwardKernel(kind).apply(x, null, out, new float[out.length], len);
    }

    /**
     * See {@link VectorMath#compileForwardKernels}: each given activation's forward kernel, and with
     * {@code backward} the kernels of its derivative, over a short array past C2's thresholds.
     */
    static void compileActivations(Set<ActivationKind> kinds, boolean backward) {
        float[] x = new float[COMPILE_LENGTH];
        float[] dy = new float[COMPILE_LENGTH];
        float[] out = new float[COMPILE_LENGTH];
        float[] slope = new float[COMPILE_LENGTH];
        float[] tmp = new float[COMPILE_LENGTH];
        for (int i = 0; i < COMPILE_LENGTH; i++) {
            x[i] = (i % 101 - 50) / 10f;
            dy[i] = (i % 7 - 3) / 3f;
        }
        for (ActivationKind kind : kinds) {
            if (kind == ActivationKind.RELU) {
                continue;
            }
            Chunk forward = forwardKernel(kind);
            PairChunk withSlope = pairKernel(kind);
            for (int call = 0; call < COMPILE_CALLS; call++) {
                if (backward) {
                    withSlope.apply(x, out, slope, tmp, COMPILE_LENGTH);
                    product(slope, dy, out, tmp, COMPILE_LENGTH);
                } else {
                    forward.apply(x, null, out, tmp, COMPILE_LENGTH);
                }
            }
        }
    }

    /** dL/dx of the activation of {@code x[0, len)} into {@code out}, given dL/dy. */
    static void activationBackward(ActivationKind kind, float[] x, float[] dy, float[] out, int len) {
        backwardKernel(kind).apply(x, dy, out, new float[out.length], len);
    }

    private static Chunk forwardKernel(ActivationKind kind) {
        return switch (kind) {
            case GELU -> VectorKernels::gelu;
            case GELU_TANH -> VectorKernels::geluTanh;
            case QUICK_GELU -> VectorKernels::quickGelu;
            case RELU -> throw new IllegalArgumentException("relu has no vector kernel");
        };
    }

    /** The derivative times dy, from the same pass that recomputes the output (discarded here). */
    private static Chunk backwardKernel(ActivationKind kind) {
        PairChunk pair = pairKernel(kind);
        return (x, dy, out, tmp, len) -> {
            pair.apply(x, new float[out.length], out, tmp, len);
            product(out, dy, out, tmp, len);
        };
    }

    private static PairChunk pairKernel(ActivationKind kind) {
        return switch (kind) {
            case GELU -> VectorKernels::geluWithSlope;
            case GELU_TANH -> VectorKernels::geluTanhWithSlope;
            case QUICK_GELU -> VectorKernels::quickGeluWithSlope;
            case RELU -> throw new IllegalArgumentException("relu has no vector kernel");
        };
    }

    // Each kernel is a few passes over its chunk (which stays in L1), each a short loop that
    // calls no method of ours with a vector: where C2 declines to inline such a call (callee too
    // large for the call site, or the compilation's node budget spent on exp), every vector
    // passed becomes a heap object, and the kernels allocated 40-64 bytes an element.

    private static void gelu(float[] x, float[] dy, float[] out, float[] tmp, int len) {
        gaussianInto(x, tmp, len);
        normalCdfInto(x, tmp, out, len);
        for (int i = 0; i < len; i += LANES) {
            FloatVector.fromArray(S, out, i).mul(FloatVector.fromArray(S, x, i)).intoArray(out, i);
        }
    }

    private static void geluWithSlope(float[] x, float[] out, float[] slope, float[] tmp, int len) {
        gaussianInto(x, tmp, len);
        normalCdfInto(x, tmp, out, len);
        for (int i = 0; i < len; i += LANES) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            FloatVector cdf = FloatVector.fromArray(S, out, i);
            v.mul(FloatVector.fromArray(S, tmp, i)).fma(FRAC_1_SQRT_2PI_V, cdf).intoArray(slope, i);
            cdf.mul(v).intoArray(out, i);
        }
    }

    private static void product(float[] a, float[] b, float[] out, float[] tmp, int len) {
        for (int i = 0; i < len; i += LANES) {
            FloatVector.fromArray(S, a, i).mul(FloatVector.fromArray(S, b, i)).intoArray(out, i);
        }
    }

    /** e = exp(-x^2 / 2): the erf approximation's factor and, over sqrt(2 pi), the normal density. */
    private static void gaussianInto(float[] x, float[] e, int len) {
        for (int i = 0; i < len; i += LANES) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            v.mul(v).mul(-0.5f).intoArray(e, i);
        }
        expInPlace(e, len);
    }

    /** cdf = Phi(x) = (1 + erf(x / sqrt 2)) / 2, given e = exp(-x^2 / 2); the lower tail without cancellation. */
    private static void normalCdfInto(float[] x, float[] e, float[] cdf, int len) {
        for (int i = 0; i < len; i += LANES) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            FloatVector t = ONE.div(v.abs().fma(P_OVER_SQRT_2, 1f));
            FloatVector halfTail = t.fma(A5, A4).fma(t, A3V).fma(t, A2V).fma(t, A1V).mul(t)
                    .mul(FloatVector.fromArray(S, e, i)).mul(0.5f);
            halfTail.neg().add(1f).blend(halfTail, v.lt(0f)).intoArray(cdf, i);
        }
    }

    private static void geluTanh(float[] x, float[] dy, float[] out, float[] tmp, int len) {
        tanhOfArgumentInto(x, out, tmp, len);
        for (int i = 0; i < len; i += LANES) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            FloatVector.fromArray(S, out, i).add(1f).mul(v).mul(0.5f).intoArray(out, i);
        }
    }

    private static void geluTanhWithSlope(float[] x, float[] out, float[] slope, float[] tmp, int len) {
        tanhOfArgumentInto(x, out, tmp, len);
        for (int i = 0; i < len; i += LANES) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            FloatVector t = FloatVector.fromArray(S, out, i);
            FloatVector inner = v.mul(v).mul(3 * TANH_CUBIC).add(1f).mul(SQRT_2_OVER_PI);
            FloatVector sech2 = t.mul(t).neg().add(1f);
            sech2.mul(inner).mul(v).add(t).add(1f).mul(0.5f).intoArray(slope, i);
            t.add(1f).mul(v).mul(0.5f).intoArray(out, i);
        }
    }

    /**
     * out = tanh(a), a = sqrt(2 / pi) (x + 0.044715 x^3), from {@link #expInPlace} (for the same
     * reason as exp): 1 - 2 / (e^2|a| + 1), and Cephes' tanhf polynomial below |a| = 0.625, where
     * that form would lose the leading digits.
     */
    private static void tanhOfArgumentInto(float[] x, float[] out, float[] a, int len) {
        for (int i = 0; i < len; i += LANES) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            FloatVector arg = v.mul(v).mul(TANH_CUBIC).add(1f).mul(v).mul(SQRT_2_OVER_PI);
            arg.intoArray(a, i);
            arg.abs().mul(2f).intoArray(out, i);
        }
        expInPlace(out, len);
        for (int i = 0; i < len; i += LANES) {
            FloatVector arg = FloatVector.fromArray(S, a, i);
            FloatVector abs = arg.abs();
            FloatVector large = ONE.sub(ONE.add(ONE).div(FloatVector.fromArray(S, out, i).add(1f)));
            FloatVector z = abs.mul(abs);
            FloatVector p = z.mul(TANH_P0).add(TANH_P1).mul(z).add(TANH_P2).mul(z).add(TANH_P3).mul(z).add(TANH_P4);
            FloatVector magnitude = large.blend(p.mul(z).mul(abs).add(abs), abs.lt(0.625f));
            magnitude.blend(magnitude.neg(), arg.lt(0f)).intoArray(out, i);
        }
    }

    private static void quickGelu(float[] x, float[] dy, float[] out, float[] tmp, int len) {
        expOfMinusQuickInto(x, out, len);
        for (int i = 0; i < len; i += LANES) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            v.div(FloatVector.fromArray(S, out, i).add(1f)).intoArray(out, i);
        }
    }

    private static void quickGeluWithSlope(float[] x, float[] out, float[] slope, float[] tmp, int len) {
        expOfMinusQuickInto(x, out, len);
        for (int i = 0; i < len; i += LANES) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            FloatVector e1 = FloatVector.fromArray(S, out, i).add(1f);
            FloatVector s = ONE.div(e1);
            s.neg().add(1f).mul(s).mul(v).mul(QUICK).add(s).intoArray(slope, i);
            v.div(e1).intoArray(out, i);
        }
    }

    /** out = exp(-1.702 x), so that sigmoid(1.702 x) = 1 / (1 + out). */
    private static void expOfMinusQuickInto(float[] x, float[] out, int len) {
        for (int i = 0; i < len; i += LANES) {
            FloatVector.fromArray(S, x, i).mul(-QUICK).intoArray(out, i);
        }
        expInPlace(out, len);
    }

    /**
     * LayerNorm of each row of {@code x} [rows, dim]: writes the normalised rows, 1/std per row
     * and {@code y = normalized * gain + bias}, each unless null. Every row is computed the same
     * way whichever are written, so a backward pass can recompute the first two from x bit for bit.
     */
    static void layerNorm(INDArray x, INDArray gain, INDArray bias, double eps, INDArray normalized, INDArray rstd, INDArray y) {
        int dim = (int) gain.length();
        int rows = (int) (x.length() / dim);
        float[] gv = toArray(gain);
        float[] bv = toArray(bias);
        FloatBuffer in = floats(x);
        FloatBuffer outNorm = normalized == null ? null : floats(normalized);
        FloatBuffer outY = y == null ? null : floats(y);
        FloatBuffer outRstd = rstd == null ? null : floats(rstd);
        Halves.run(rows, 1, PARALLEL_MIN / dim, (from, to) -> {
            float[] row = new float[dim];
            float[] norm = new float[dim];
            float[] result = new float[dim];
            for (int r = from; r < to; r++) {
                in.get(r * dim, row, 0, dim);
                float inv = layerNormRow(row, gv, bv, eps, norm, result);
                if (outRstd != null) {
                    outRstd.put(r, inv);
                }
                if (outNorm != null) {
                    outNorm.put(r * dim, norm, 0, dim);
                }
                if (outY != null) {
                    outY.put(r * dim, result, 0, dim);
                }
            }
        });
    }

    /** One row of {@link #layerNorm}: writes {@code norm} and {@code y}, returns 1/std. */
    static float layerNormRow(float[] row, float[] gain, float[] bias, double eps, float[] norm, float[] y) {
        int dim = gain.length;
        int bound = S.loopBound(dim);
        float mean = sum(row, null, dim) / dim;
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (; i < bound; i += LANES) {
            FloatVector c = FloatVector.fromArray(S, row, i).sub(mean);
            acc = c.fma(c, acc);
        }
        // lane by lane, first to last: reduceLanes(ADD) may add them in another order once C2 compiles it
        float ss = 0f;
        for (int k = 0; k < LANES; k++) {
            ss += acc.lane(k);
        }
        for (; i < dim; i++) {
            float c = row[i] - mean;
            ss += c * c;
        }
        float inv = (float) (1 / Math.sqrt(ss / dim + eps));
        for (i = 0; i < bound; i += LANES) {
            FloatVector n = FloatVector.fromArray(S, row, i).sub(mean).mul(inv);
            n.intoArray(norm, i);
            n.fma(FloatVector.fromArray(S, gain, i), FloatVector.fromArray(S, bias, i)).intoArray(y, i);
        }
        for (; i < dim; i++) {
            norm[i] = (row[i] - mean) * inv;
            y[i] = norm[i] * gain[i] + bias[i];
        }
        return inv;
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
        Halves.run(rows, 1, PARALLEL_MIN / dim, (from, to) -> {
            float[] d = new float[dim];
            float[] n = new float[dim];
            for (int r = from; r < to; r++) {
                inDy.get(r * dim, d, 0, dim);
                inNorm.get(r * dim, n, 0, dim);
                layerNormRowBackward(d, n, inRstd.get(r), gv);
                out.put(r * dim, d, 0, dim);
            }
        });
        return dx;
    }

    /** One row of {@link #layerNormBackward}: turns dL/dy in {@code d} into dL/dx, given the row's normalised values and 1/std. */
    static void layerNormRowBackward(float[] d, float[] normalized, float inv, float[] gain) {
        int dim = gain.length;
        int bound = S.loopBound(dim);
        int i = 0;
        for (; i < bound; i += LANES) {
            FloatVector.fromArray(S, d, i).mul(FloatVector.fromArray(S, gain, i)).intoArray(d, i);
        }
        for (; i < dim; i++) {
            d[i] *= gain[i];
        }
        // dx = (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) / std
        float meanD = sum(d, null, dim) / dim;
        float meanDn = sum(d, normalized, dim) / dim;
        for (i = 0; i < bound; i += LANES) {
            FloatVector nv = FloatVector.fromArray(S, normalized, i);
            FloatVector.fromArray(S, d, i).sub(meanD).sub(nv.mul(meanDn)).mul(inv).intoArray(d, i);
        }
        for (; i < dim; i++) {
            d[i] = (d[i] - meanD - normalized[i] * meanDn) * inv;
        }
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
        for (int first = 0; first < rows; first += SUM_BLOCK) {
            java.util.Arrays.fill(block, 0f);
            for (int r = first; r < Math.min(rows, first + SUM_BLOCK); r++) {
                fa.get(r * cols, ra, 0, cols);
                if (fb != null) {
                    fb.get(r * cols, rb, 0, cols);
                }
                addRow(ra, rb, block);
            }
            for (int c = 0; c < cols; c++) {
                acc[c] += block[c];
            }
        }
    }

    /** {@code block[c] += a[c]} (times {@code b[c]} when given). */
    static void addRow(float[] a, float[] b, float[] block) {
        int cols = block.length;
        int bound = S.loopBound(cols);
        int c = 0;
        for (; c < bound; c += LANES) {
            FloatVector v = FloatVector.fromArray(S, a, c);
            FloatVector s = FloatVector.fromArray(S, block, c);
            (b == null ? v.add(s) : v.fma(FloatVector.fromArray(S, b, c), s)).intoArray(block, c);
        }
        for (; c < cols; c++) {
            block[c] += b == null ? a[c] : a[c] * b[c];
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
        // lane by lane, as in layerNormRow
        float s = 0f;
        for (int k = 0; k < LANES; k++) {
            s += acc.lane(k);
        }
        for (; i < n; i++) {
            s += b == null ? a[i] : a[i] * b[i];
        }
        return s;
    }

    /**
     * a = e^a, from exactly rounded operations only (Cephes' expf): the Vector API's EXP is
     * Math.exp in its Java fallback and the JDK's SIMD math library once C2 compiles a kernel, and
     * the two round differently. a = n ln2 + r with |r| <= ln2 / 2; e^r is a degree-7 polynomial
     * (about 1 ulp) and 2^n is built in the exponent bits. a is clamped to where e^a is a normal
     * float, [-87.3, 88.3]: below, 1.2e-38 stands in for the subnormals and zero, above, 2.4e38 for
     * the overflow, differences that the kernels' uses (Gaussian tails, 1 / (1 + e^a)) cannot show.
     */
    static void expInPlace(float[] a, int len) {
        for (int i = 0; i < len; i += LANES) {
            FloatVector x = FloatVector.fromArray(S, a, i).max(EXP_MIN).min(EXP_MAX);
            // adding 1.5 * 2^23 rounds to an integer that then sits in the low mantissa bits
            FloatVector shifted = x.fma(LOG2E, ROUNDER);
            FloatVector n = shifted.sub(ROUNDER);
            FloatVector r = n.fma(MINUS_LN2_LO, n.fma(MINUS_LN2_HI, x));
            FloatVector p = r.fma(EXP_P0, EXP_P1).fma(r, EXP_P2V).fma(r, EXP_P3V).fma(r, EXP_P4V).fma(r, EXP_P5V);
            FloatVector powerOfTwo = (FloatVector) ((IntVector) shifted.reinterpretAsInts())
                    .add(127 - ROUNDER_BITS).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            p.fma(r.mul(r), r).add(1f).mul(powerOfTwo).intoArray(a, i);
        }
    }

    /**
     * Softmax of every row of {@code x} [rows, n], in place: e^(x - max) with {@link #expInPlace},
     * a row sum in a fixed order, one division. Entries more than 87 below the row's maximum (a
     * masked key's -FLT_MAX bias) get exactly zero, as the exact softmax rounds them to.
     */
    static void softmaxRowsInPlace(INDArray x, int n) {
        int rows = (int) (x.length() / n);
        FloatBuffer buffer = floats(x);
        int padded = (n + LANES - 1) / LANES * LANES;
        Halves.run(rows, 1, PARALLEL_MIN / n, (lo, hi) -> {
            float[] row = new float[padded];
            float[] shifted = new float[padded];
            for (int r = lo; r < hi; r++) {
                buffer.get(r * n, row, 0, n);
                softmaxRow(row, shifted, n);
                buffer.put(r * n, row, 0, n);
            }
        });
    }

    /** One row of {@link #softmaxRowsInPlace}; both arrays hold whole vectors past n. */
    static void softmaxRow(float[] row, float[] shifted, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, row[i]);
        }
        for (int i = 0; i < n; i++) {
            shifted[i] = row[i] - max;
            row[i] = shifted[i];
        }
        expInPlace(row, n);
        for (int i = 0; i < n; i++) {
            if (shifted[i] < EXP_MIN) {
                row[i] = 0f;
            }
        }
        float total = sum(row, null, n);
        for (int i = 0; i < n; i++) {
            row[i] /= total;
        }
    }

    /** Softmax's backward pass over rows of n, in place: {@code d = p * (d - sum(d * p))} per row. */
    static void softmaxBackwardInPlace(INDArray d, INDArray p, int n) {
        int rows = (int) (d.length() / n);
        FloatBuffer grad = floats(d);
        FloatBuffer probs = floats(p);
        Halves.run(rows, 1, PARALLEL_MIN / n, (lo, hi) -> {
            float[] dr = new float[n];
            float[] pr = new float[n];
            for (int r = lo; r < hi; r++) {
                grad.get(r * n, dr, 0, n);
                probs.get(r * n, pr, 0, n);
                softmaxRowBackward(dr, pr, n);
                grad.put(r * n, dr, 0, n);
            }
        });
    }

    /** One row of {@link #softmaxBackwardInPlace}. */
    static void softmaxRowBackward(float[] d, float[] p, int n) {
        float dot = sum(d, p, n);
        for (int i = 0; i < n; i++) {
            d[i] = p[i] * (d[i] - dot);
        }
    }

    /**
     * {@code a += b} element by element, in place (same length, both packed). Straight on the
     * buffers, as {@link #times} and {@link #addRowInPlace}: a pass of one operation an element is
     * bound by memory, and copying its chunks through arrays only added to that.
     */
    static void addInPlace(INDArray a, INDArray b) {
        ByteBuffer into = RowMajor.bytes(a);
        ByteBuffer from = RowMajor.bytes(b);
        Halves.run((int) a.length(), CHUNK, PARALLEL_MIN, (lo, hi) -> {
            int i = lo;
            for (int bound = lo + S.loopBound(hi - lo); i < bound; i += LANES) {
                int at = i * Float.BYTES;
                FloatVector.fromByteBuffer(S, into, at, ORDER).add(FloatVector.fromByteBuffer(S, from, at, ORDER))
                        .intoByteBuffer(into, at, ORDER);
            }
            for (; i < hi; i++) {
                int at = i * Float.BYTES;
                into.putFloat(at, into.getFloat(at) + from.getFloat(at));
            }
        });
    }

    /** {@code x[r, :] += row} for every row of {@code x} viewed as [rows, row.length], in place. */
    static void addRowInPlace(INDArray x, INDArray row) {
        int dim = (int) row.length();
        int rows = (int) (x.length() / dim);
        float[] rv = toArray(row);
        ByteBuffer into = RowMajor.bytes(x);
        Halves.run(rows, 1, PARALLEL_MIN / dim, (lo, hi) -> {
            int bound = S.loopBound(dim);
            for (int r = lo; r < hi; r++) {
                int rowAt = r * dim * Float.BYTES;
                int i = 0;
                for (; i < bound; i += LANES) {
                    int at = rowAt + i * Float.BYTES;
                    FloatVector.fromByteBuffer(S, into, at, ORDER).add(FloatVector.fromArray(S, rv, i)).intoByteBuffer(into, at, ORDER);
                }
                for (; i < dim; i++) {
                    int at = rowAt + i * Float.BYTES;
                    into.putFloat(at, into.getFloat(at) + rv[i]);
                }
            }
        });
    }

    private static INDArray map(INDArray x, INDArray dy, Chunk kernel) {
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, x.shape());
        FloatBuffer in = floats(x);
        FloatBuffer grad = dy == null ? null : floats(dy);
        FloatBuffer result = floats(out);
        int n = (int) x.length();
        Halves.run(n, CHUNK, PARALLEL_MIN, (from, to) -> {
            int chunk = chunkFor(to - from);
            float[] cx = new float[chunk];
            float[] cd = grad == null ? null : new float[chunk];
            float[] co = new float[chunk];
            float[] tmp = new float[chunk];
            for (int start = from; start < to; start += CHUNK) {
                int len = Math.min(CHUNK, to - start);
                in.get(start, cx, 0, len);
                if (grad != null) {
                    grad.get(start, cd, 0, len);
                }
                // The last chunk's lanes past len hold finite leftovers; they are computed and never written back.
                kernel.apply(cx, cd, co, tmp, len);
                result.put(start, co, 0, len);
            }
        });
        return out;
    }

    /**
     * The length of a range's chunk arrays: {@link #CHUNK}, or the range rounded up to whole vectors
     * when it is shorter. Most of a step's calls are on biases and norms of a few hundred floats,
     * and full-size chunks for those were most of the step's Java allocation (young collections,
     * which stop both parts, and fresh cache lines to zero); the kernels compute whole vectors, so
     * a short last chunk still needs its lanes past the range.
     */
    private static int chunkFor(int range) {
        return Math.min(CHUNK, (range + LANES - 1) / LANES * LANES);
    }

    private static float[] toArray(INDArray v) {
        float[] a = new float[(int) v.length()];
        floats(v).get(0, a);
        return a;
    }

    private static FloatBuffer floats(INDArray x) {
        return RowMajor.floats(x);
    }
}
