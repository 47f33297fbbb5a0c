package clip.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.FloatBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The Vector API products of attention's (example, head) blocks against a product in double, for
 * every transpose and for shapes off the kernel's tiles (rows not a multiple of four, columns not
 * a multiple of a vector, more than four vectors wide), on blocks inside larger arrays; and float
 * attention, which uses them, against the double attention that LayerGradientTest checks.
 */
class HeadProductsTest {
    private static final int[][] SHAPES = {{65, 65, 64}, {65, 64, 65}, {5, 3, 7}, {17, 83, 2}, {1, 1, 1}, {9, 16, 13}, {4, 64, 31}};

    @Test
    void everyTransposeAndEdgeShapeMatchesTheProductInDouble() {
        Random random = new Random(3);
        for (int[] shape : SHAPES) {
            int m = shape[0];
            int n = shape[1];
            int k = shape[2];
            for (boolean transA : new boolean[] {false, true}) {
                for (boolean transB : new boolean[] {false, true}) {
                    // Stored blocks: A is [m, k] or, transposed, [k, m]; each sits at an offset in rows 3 wider than it.
                    int aRows = transA ? k : m;
                    int aCols = transA ? m : k;
                    int bRows = transB ? n : k;
                    int bCols = transB ? k : n;
                    int lda = aCols + 3;
                    int ldb = bCols + 3;
                    int ldc = n + 3;
                    float[] a = random(random, 5 + aRows * lda);
                    float[] b = random(random, 7 + bRows * ldb);
                    float[] c = new float[2 + m * ldc];
                    java.util.Arrays.fill(c, 42f);
                    double alpha = 0.125;
                    new HeadProducts(transA, transB, m, n, k, alpha).new Scratch().multiply(FloatBuffer.wrap(a), 5, lda,
                            FloatBuffer.wrap(b), 7, ldb, FloatBuffer.wrap(c), 2, ldc);
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            double sum = 0;
                            double magnitude = 0;
                            for (int p = 0; p < k; p++) {
                                double term = (double) a[5 + (transA ? p * lda + i : i * lda + p)] * b[7 + (transB ? j * ldb + p : p * ldb + j)];
                                sum += term;
                                magnitude += Math.abs(term);
                            }
                            String where = "m n k " + m + " " + n + " " + k + " transA " + transA + " transB " + transB + " at " + i + "," + j;
                            assertEquals(alpha * sum, c[2 + i * ldc + j], 1e-6 * alpha * (magnitude + 1), where);
                        }
                        for (int j = n; j < ldc && 2 + i * ldc + j < c.length; j++) {
                            assertEquals(42f, c[2 + i * ldc + j], 0f, "a column outside the block is left as it was");
                        }
                    }
                    assertEquals(42f, c[0], 0f);
                    assertEquals(42f, c[1], 0f);
                }
            }
        }
    }

    @Test
    void theSameOperandsGiveTheSameBitsWhateverTheBlockSitsIn() {
        Random random = new Random(4);
        float[] a = random(random, 65 * 64);
        float[] b = random(random, 65 * 64);
        float[] alone = new float[65 * 65];
        new HeadProducts(false, true, 65, 65, 64, 0.125).new Scratch().multiply(FloatBuffer.wrap(a), 0, 64,
                FloatBuffer.wrap(b), 0, 64, FloatBuffer.wrap(alone), 0, 65);
        // The same block as the second head of arrays two heads wide.
        float[] a2 = new float[65 * 128];
        float[] b2 = new float[65 * 128];
        for (int r = 0; r < 65; r++) {
            System.arraycopy(a, r * 64, a2, r * 128 + 64, 64);
            System.arraycopy(b, r * 64, b2, r * 128 + 64, 64);
        }
        float[] inside = new float[65 * 65];
        new HeadProducts(false, true, 65, 65, 64, 0.125).new Scratch().multiply(FloatBuffer.wrap(a2), 64, 128,
                FloatBuffer.wrap(b2), 64, 128, FloatBuffer.wrap(inside), 0, 65);
        assertArrayEquals(alone, inside);
    }

    /** Float attention (these products) against double attention (BLAS), with padding and causal masks, forward and backward. */
    @Test
    void floatAttentionMatchesDoubleAttention() {
        for (boolean causal : new boolean[] {false, true}) {
            SelfAttention reference = new SelfAttention(96, 3, true, AttentionNames.BERT, new Init(7, DataType.DOUBLE, 0.2));
            SelfAttention att = new SelfAttention(96, 3, true, AttentionNames.BERT, new Init(7, DataType.FLOAT, 0.2));
            reference.namedParameters().forEach((name, p) -> att.namedParameters().get(name).value().assign(p.value()));
            INDArray keyMask = Nd4j.createFromArray(new double[][] {{1, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 0, 0, 0}});
            INDArray x = new Init(8, DataType.DOUBLE, 1.0).normal(2, 7, 96).value();
            INDArray dy = new Init(9, DataType.DOUBLE, 1.0).normal(2, 7, 96).value();
            INDArray y = reference.forward(x, AttentionMask.of(keyMask, causal, 2, 7, DataType.DOUBLE));
            INDArray dx = reference.backward(dy);
            INDArray yf = att.forward(x.castTo(DataType.FLOAT), AttentionMask.of(keyMask, causal, 2, 7, DataType.FLOAT));
            INDArray dxf = att.backward(dy.castTo(DataType.FLOAT));
            assertClose(yf, y, "forward, causal " + causal);
            assertClose(dxf, dx, "input gradient, causal " + causal);
            reference.namedParameters().forEach((name, p) ->
                    assertClose(att.namedParameters().get(name).grad(), p.grad(), name + " gradient, causal " + causal));
            assertEquals(0.0, att.attentionProbabilities().getDouble(1, 0, 0, 5), 0.0, "padding key gets exactly zero attention");
        }
    }

    // Float rounding over 96-wide rows: the largest error here, 2.5e-5 in a weight gradient, is the same with BLAS's products.
    private static void assertClose(INDArray fromFloat, INDArray reference, String what) {
        double worst = fromFloat.castTo(DataType.DOUBLE).sub(reference).divi(org.nd4j.linalg.ops.transforms.Transforms.abs(reference).addi(1))
                .amaxNumber().doubleValue();
        assertTrue(worst < 1e-4, what + ": worst error " + worst + " relative to 1 + |reference|");
    }

    private static float[] random(Random random, int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) random.nextGaussian();
        }
        return out;
    }
}
