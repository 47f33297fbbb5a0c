package clip.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The float layers run the Vector API kernels; the double layers run the ND4J formulation that
 * LayerGradientTest checks against central differences. Same inputs through both must agree to
 * float precision, forward and backward.
 */
class VectorKernelsTest {
    private static INDArray randn(long seed, double std, long... shape) {
        return new Init(seed, DataType.DOUBLE, std).normal(shape).value();
    }

    private static void assertClose(INDArray fromFloat, INDArray reference, double tolerance, String what) {
        INDArray error = fromFloat.castTo(DataType.DOUBLE).sub(reference);
        INDArray scale = Transforms.abs(reference).addi(1);
        double worst = error.divi(scale).amaxNumber().doubleValue();
        assertTrue(worst < tolerance, what + ": worst error " + worst + " relative to 1 + |reference|");
    }

    @Test
    void theTestJvmHasTheVectorApiAndOnlyFloatArraysUseIt() {
        INDArray x = randn(1, 1, 4, 8);
        assertTrue(VectorMath.applies(x.castTo(DataType.FLOAT)), "tests must run with --add-modules=jdk.incubator.vector");
        assertFalse(VectorMath.applies(x), "double arrays keep the ND4J path");
        assertFalse(VectorMath.applies(x.castTo(DataType.FLOAT).transpose()), "a transposed view is not packed row-major");
    }

    @Test
    void activationsMatchTheNd4jPathForwardAndBackward() {
        // Wide inputs reach the saturated tails, where erf's lower tail must not cancel to zero;
        // the short one is shorter than a chunk and not a whole number of vectors.
        for (long[] shape : new long[][] {{3, 1001}, {3, 37}}) {
            activationsMatchTheNd4jPath(randn(2, 4, shape), randn(3, 1, shape));
        }
    }

    private static void activationsMatchTheNd4jPath(INDArray x, INDArray dy) {
        for (ActivationKind kind : new ActivationKind[] {ActivationKind.GELU, ActivationKind.GELU_TANH, ActivationKind.QUICK_GELU}) {
            Activation reference = new Activation(kind);
            INDArray y = reference.forward(x);
            INDArray dx = reference.backward(dy);
            Activation vectorised = new Activation(kind);
            INDArray yf = vectorised.forward(x.castTo(DataType.FLOAT));
            INDArray dxf = vectorised.backward(dy.castTo(DataType.FLOAT));
            assertClose(yf, y, 1e-6, kind + " forward");
            assertClose(dxf, dx, 1e-6, kind + " backward");
        }
    }

    /** The output computed with its slope has the forward pass's bits, and the slope gives the recomputed derivative's gradient. */
    @Test
    void theSlopeComesWithTheForwardPassesOutputAndGivesTheSameGradient() {
        INDArray x = randn(4, 4, 3, 1001).castTo(DataType.FLOAT);
        INDArray dy = randn(5, 1, 3, 1001).castTo(DataType.FLOAT);
        for (ActivationKind kind : new ActivationKind[] {ActivationKind.GELU, ActivationKind.GELU_TANH, ActivationKind.QUICK_GELU}) {
            Activation separate = new Activation(kind);
            INDArray y = separate.forward(x);
            INDArray dx = separate.backward(dy);
            Activation withSlope = new Activation(kind);
            INDArray out = Nd4j.createUninitialized(DataType.FLOAT, x.shape());
            INDArray slope = Nd4j.createUninitialized(DataType.FLOAT, x.shape());
            withSlope.forwardWithSlope(x.dup(), out, slope);
            assertTrue(java.util.Arrays.equals(y.dup().data().asFloat(), out.data().asFloat()), kind + " output");
            assertTrue(java.util.Arrays.equals(dx.dup().data().asFloat(), withSlope.backward(dy).dup().data().asFloat()),
                    kind + " derivative times dy");
        }
    }

    @Test
    void expIsWithinOneUlpOverTheNormalRangeAndClampedOutsideIt() {
        java.util.SplittableRandom random = new java.util.SplittableRandom(4);
        int n = 1 << 16;
        float[] x = new float[n + 64];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (-87.33 + 175.7 * random.nextDouble());
        }
        x[0] = 0f;
        x[1] = -87.33654f;
        x[2] = 88.37626f;
        x[3] = -1000f;
        x[4] = 1000f;
        float[] e = x.clone();
        VectorKernels.expInPlace(e, n);
        for (int i = 0; i < n; i++) {
            float clamped = Math.max(-87.33654f, Math.min(88.37626f, x[i]));
            double exact = Math.exp(clamped);
            assertTrue(Math.abs(e[i] - exact) <= Math.ulp((float) exact), "exp(" + x[i] + ") = " + e[i] + ", not " + exact);
        }
        assertEquals(1f, e[0]);
        assertTrue(e[3] > 0 && e[3] < 1.2e-38f && Float.isFinite(e[4]) && e[4] > 2.4e38f, e[3] + " " + e[4]);
    }

    @Test
    void geluLowerTailDoesNotCancelToZero() {
        // x Phi(x) at x = -6 is about -5.9e-9; as x (1 + erf(x / sqrt 2)) / 2 in float it is exactly 0.
        // The tail comes straight from the erfc form, within A&S 7.1.26's relative error out there
        // (0.36% at -6, 0.05% at -4).
        INDArray x = org.nd4j.linalg.factory.Nd4j.createFromArray(-6.0f, -4.0f).reshape(1, 2);
        INDArray y = new Activation(ActivationKind.GELU).forward(x);
        double[] expected = {-6 * 9.865876450377e-10, -4 * 3.167124183312e-5};
        double[] relative = {4e-3, 5e-4};
        for (int i = 0; i < 2; i++) {
            double got = y.getDouble(0, i);
            assertTrue(Math.abs(got - expected[i]) < relative[i] * Math.abs(expected[i]), "gelu(" + x.getDouble(0, i) + ") = " + got);
        }
    }

    @Test
    void softmaxMatchesTheNd4jPathForwardAndBackward() {
        for (long rows : new long[] {6, 3000}) {
            INDArray x = randn(21, 3.0, rows, 37).castTo(DataType.FLOAT);
            x.putScalar(new long[] {0, 5}, -Float.MAX_VALUE); // a masked key
            // in double: e^(x - max) / sum
            INDArray xd = x.castTo(DataType.DOUBLE);
            INDArray shifted = xd.subColumnVector(xd.max(true, 1));
            INDArray exp = Transforms.exp(shifted, true);
            INDArray expected = exp.divColumnVector(exp.sum(true, 1)).castTo(DataType.FLOAT);
            INDArray p = x.dup();
            VectorKernels.softmaxRowsInPlace(p, 37);
            assertEquals(0.0, p.getDouble(0, 5), 0.0, "a masked key gets exactly zero");
            assertTrue(p.equalsWithEps(expected, 6e-7), "softmax (a few ulp of 1), max |diff| " + p.sub(expected).amaxNumber());
            INDArray d = randn(22, 1.0, rows, 37).castTo(DataType.FLOAT);
            INDArray dot = d.mul(expected).sum(true, 1);
            INDArray expectedDx = d.subColumnVector(dot).muli(expected);
            INDArray dx = d.dup();
            VectorKernels.softmaxBackwardInPlace(dx, p, 37);
            assertTrue(dx.equalsWithEps(expectedDx, 1e-6), "softmax backward, max |diff| " + dx.sub(expectedDx).amaxNumber());
        }
    }

    @Test
    void sumsGiveNd4jsBits() {
        // 37 columns: row tails through the scalar loop; 3,000 rows: large enough to be cut in halves.
        for (long rows : new long[] {5, 3000}) {
            INDArray a = randn(11, 1.0, rows, 37).castTo(DataType.FLOAT);
            INDArray b = randn(12, 1.0, rows, 37).castTo(DataType.FLOAT);
            INDArray row = randn(13, 1.0, 37).castTo(DataType.FLOAT);
            assertTrue(VectorMath.applies(a, b, row));
            org.junit.jupiter.api.Assertions.assertArrayEquals(a.add(b).data().asFloat(),
                    VectorMath.addi(a.dup(), b).data().asFloat());
            org.junit.jupiter.api.Assertions.assertArrayEquals(a.addRowVector(row).data().asFloat(),
                    VectorMath.addiRowVector(a.dup(), row).data().asFloat());
        }
    }

    @Test
    void layerNormMatchesTheNd4jPathForwardAndBackward() {
        // 37 is not a multiple of any vector width: the row tails go through the scalar loop.
        for (int dim : new int[] {37, 192}) {
            INDArray x = randn(4, 3, 2, 5, dim).addi(0.5);
            INDArray dy = randn(5, 1, 2, 5, dim);
            INDArray gain = randn(6, 1, dim);
            INDArray bias = randn(7, 1, dim);
            LayerNorm reference = layerNorm(dim, DataType.DOUBLE, gain, bias);
            LayerNorm vectorised = layerNorm(dim, DataType.FLOAT, gain, bias);
            assertClose(vectorised.forward(x.castTo(DataType.FLOAT)), reference.forward(x), 2e-6, "layer norm " + dim + " forward");
            assertClose(vectorised.backward(dy.castTo(DataType.FLOAT)), reference.backward(dy), 2e-5, "layer norm " + dim + " backward");
            for (String p : new String[] {"weight", "bias"}) {
                assertClose(vectorised.namedParameters().get(p).grad(), reference.namedParameters().get(p).grad(), 2e-5,
                        "layer norm " + dim + " " + p + " gradient");
            }
        }
    }

    /**
     * A JVM runs the Vector API's Java fallback until C2 compiles a kernel, and the intrinsics
     * after; when C2 compiles differs from run to run and from executor to executor. If the two
     * rounded differently, the same job would end at different parameters each time (it did:
     * 1.7e-5 apart after 80 steps) and a resumed run could not match an uninterrupted one.
     */
    @Test
    void kernelsGiveTheSameBitsInterpretedAndCompiled() throws Exception {
        String fallback = fingerprint("-XX:TieredStopAtLevel=1", "0");
        String compiled = fingerprint("-XX:-TieredCompilation", "-Xbatch", "20000");
        assertEquals(fallback, compiled, "the kernels' outputs under C1 (Java fallback) and C2 (intrinsics) differ");
    }

    private static String fingerprint(String... jvmAndWarmUp) throws Exception {
        java.util.List<String> options = new java.util.ArrayList<>(java.util.List.of("--add-modules=jdk.incubator.vector"));
        options.addAll(java.util.List.of(jvmAndWarmUp).subList(0, jvmAndWarmUp.length - 1));
        return clip.testutil.ForkedJvm.lastLine(options, KernelFingerprint.class, jvmAndWarmUp[jvmAndWarmUp.length - 1]);
    }

    private static LayerNorm layerNorm(int dim, DataType type, INDArray gain, INDArray bias) {
        LayerNorm ln = new LayerNorm(dim, 1e-5, new Init(0, type, 1.0));
        ln.namedParameters().get("weight").value().assign(gain);
        ln.namedParameters().get("bias").value().assign(bias);
        return ln;
    }
}
