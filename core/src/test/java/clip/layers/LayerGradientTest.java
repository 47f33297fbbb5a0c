package clip.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.testutil.GradCheck;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Every layer's analytic backward against central differences, in double precision. */
class LayerGradientTest {
    private static final double TOL = 1e-6;
    private static final double EPS = 1e-5;

    static INDArray randn(long seed, long... shape) {
        return new Init(seed, DataType.DOUBLE, 1.0).normal(shape).value();
    }

    /** loss = sum(f(x) * R): checks d/dx (via backward's return) and d/dparams. */
    static void check(Module module, INDArray x, Function<INDArray, INDArray> forward,
                              Function<INDArray, INDArray> backward) {
        INDArray r = randn(99, forward.apply(x).shape());
        module.zeroGrad();
        forward.apply(x);
        INDArray dx = backward.apply(r.dup());
        java.util.function.DoubleSupplier loss = () -> forward.apply(x).mul(r).sumNumber().doubleValue();
        if (dx != null) {
            INDArray numeric = GradCheck.numericGradient(loss, x, EPS);
            double err = GradCheck.relativeError(dx, numeric);
            assertTrue(err < TOL, "input gradient relative error " + err);
        }
        for (Map.Entry<String, Parameter> e : module.namedParameters().entrySet()) {
            if (e.getKey().endsWith("key.bias") || e.getKey().endsWith("k_proj.bias")) {
                // softmax is shift invariant: the true gradient is exactly zero, only rounding remains
                assertTrue(e.getValue().grad().amaxNumber().doubleValue() < 1e-10, e.getKey());
                continue;
            }
            INDArray numeric = GradCheck.numericGradient(loss, e.getValue().value(), EPS);
            double err = GradCheck.relativeError(e.getValue().grad(), numeric);
            assertTrue(err < TOL, e.getKey() + " gradient relative error " + err);
        }
    }

    static Init init() {
        return new Init(7, DataType.DOUBLE, 0.5);
    }

    @Test
    void linear() {
        Linear l = new Linear(5, 4, true, init());
        check(l, randn(1, 2, 3, 5), l::forward, l::backward);
    }

    @Test
    void layerNorm() {
        LayerNorm ln = new LayerNorm(6, 1e-5, init());
        ln.namedParameters().get("weight").value().assign(randn(3, 6));
        ln.namedParameters().get("bias").value().assign(randn(4, 6));
        check(ln, randn(2, 3, 6), ln::forward, ln::backward);
    }

    @Test
    void activations() {
        for (ActivationKind kind : ActivationKind.values()) {
            Activation a = new Activation(kind);
            Module none = new Module() { };
            INDArray x = randn(5, 4, 7);
            if (kind == ActivationKind.RELU) {
                x.addi(x.gt(0).castTo(DataType.DOUBLE).mul(2).sub(1).muli(0.1)); // keep away from the kink
            }
            check(none, x, a::forward, a::backward);
        }
    }

    @Test
    void exactGeluMatchesKnownValues() {
        Activation gelu = new Activation(ActivationKind.GELU);
        INDArray y = gelu.forward(Nd4j.createFromArray(-2.0, -0.5, 1.0, 3.0));
        // 0.5 x (1 + erf(x / sqrt 2)), from an independent high-precision evaluation
        double[] expected = {-0.04550026389635842, -0.15426876936299344, 0.8413447460685429, 2.99595030590511};
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], y.getDouble(i), 1e-12);
        }
    }

    @Test
    void attentionWithPaddingAndCausalMasks() {
        for (boolean causal : new boolean[] {false, true}) {
            SelfAttention att = new SelfAttention(8, 2, true, AttentionNames.BERT, init());
            INDArray keyMask = Nd4j.createFromArray(new double[][] {{1, 1, 1, 1}, {1, 1, 0, 0}});
            AttentionMask mask = AttentionMask.of(keyMask, causal, 2, 4, DataType.DOUBLE);
            check(att, randn(11, 2, 4, 8), x -> att.forward(x, mask), att::backward);
            INDArray p = att.attentionProbabilities();
            assertEquals(0.0, p.getDouble(1, 0, 0, 2), 0.0, "padding key gets exactly zero attention");
            if (causal) {
                assertEquals(0.0, p.getDouble(0, 1, 1, 3), 0.0, "future key gets exactly zero attention");
            }
        }
    }

    /** The split-heads path (heads folded into the batch axis, batched products) that backends without direct BLAS take. */
    @Test
    void attentionWithBatchedHeadsMatchesHeadsInPlace() {
        for (boolean causal : new boolean[] {false, true}) {
            SelfAttention batched = new SelfAttention(8, 2, true, AttentionNames.BERT, init()).batchedHeads();
            SelfAttention inPlace = new SelfAttention(8, 2, true, AttentionNames.BERT, init());
            INDArray keyMask = Nd4j.createFromArray(new double[][] {{1, 1, 1, 1}, {1, 1, 0, 0}});
            AttentionMask mask = AttentionMask.of(keyMask, causal, 2, 4, DataType.DOUBLE);
            check(batched, randn(11, 2, 4, 8), x -> batched.forward(x, mask), batched::backward);
            INDArray x = randn(12, 2, 4, 8);
            INDArray dy = randn(13, 2, 4, 8);
            assertTrue(batched.forward(x, mask).equalsWithEps(inPlace.forward(x, mask), 1e-12));
            assertTrue(batched.backward(dy).equalsWithEps(inPlace.backward(dy), 1e-12));
            assertEquals(0.0, batched.attentionProbabilities().getDouble(1, 0, 0, 2), 0.0, "padding key gets exactly zero attention");
        }
    }

    @Test
    void embeddingScatterAddsRepeatedIds() {
        Embedding emb = new Embedding(6, 3, init());
        INDArray ids = Nd4j.createFromArray(new int[][] {{1, 4, 1}, {0, 4, 4}});
        INDArray r = randn(3, 2, 3, 3);
        java.util.function.DoubleSupplier loss = () -> emb.forward(ids).mul(r).sumNumber().doubleValue();
        emb.forward(ids);
        emb.backward(r);
        INDArray w = emb.namedParameters().get("weight").value();
        INDArray numeric = GradCheck.numericGradient(loss, w, EPS);
        INDArray analytic = emb.namedParameters().get("weight").grad();
        assertTrue(GradCheck.relativeError(analytic, numeric) < TOL);
        assertEquals(0.0, analytic.getRow(5).norm2Number().doubleValue(), 0.0, "unused rows stay exactly zero");
    }

    @Test
    void patchProjection() {
        PatchProjection pp = new PatchProjection(3, 2, 5, true, init());
        INDArray pixels = randn(8, 2, 3, 4, 6);
        check(pp, pixels, pp::forward, dy -> {
            pp.backward(dy);
            return null;
        });
    }

    @Test
    void patchProjectionEqualsConvolution() {
        PatchProjection pp = new PatchProjection(2, 2, 3, false, init());
        INDArray pixels = randn(9, 1, 2, 4, 4);
        INDArray y = pp.forward(pixels);
        INDArray w = pp.namedParameters().get("weight").value();
        // patch (row 1, col 0) of the 2x2 grid is grid index 2
        for (int d = 0; d < 3; d++) {
            double sum = 0;
            for (int c = 0; c < 2; c++) {
                for (int i = 0; i < 2; i++) {
                    for (int j = 0; j < 2; j++) {
                        sum += w.getDouble(d, c, i, j) * pixels.getDouble(0, c, 2 + i, j);
                    }
                }
            }
            assertEquals(sum, y.getDouble(0, 2, d), 1e-12);
        }
    }

    /** Float pixels take the copy loop rather than ND4J's permute: the same patches, so the same output. */
    @Test
    void patchProjectionOfFloatPixelsEqualsDouble() {
        PatchProjection doubles = new PatchProjection(3, 2, 5, true, init());
        PatchProjection floats = new PatchProjection(3, 2, 5, true, new Init(7, DataType.FLOAT, 0.5));
        INDArray pixels = randn(10, 2, 3, 4, 6);
        INDArray expected = doubles.forward(pixels);
        INDArray actual = floats.forward(pixels.castTo(DataType.FLOAT));
        assertTrue(expected.castTo(DataType.FLOAT).equalsWithEps(actual, 1e-5), "float patch projection");
    }

    @Test
    void l2Normalize() {
        L2Normalize n = new L2Normalize();
        check(new Module() { }, randn(12, 3, 5), n::forward, n::backward);
    }

    @Test
    void transformerLayersInBothLayouts() {
        INDArray keyMask = Nd4j.createFromArray(new double[][] {{1, 1, 1}, {1, 1, 0}});
        AttentionMask mask = AttentionMask.of(keyMask, false, 2, 3, DataType.DOUBLE);
        for (LayerNames names : new LayerNames[] {LayerNames.BERT, LayerNames.VIT, LayerNames.CLIP}) {
            boolean pre = names != LayerNames.BERT;
            TransformerLayer layer = new TransformerLayer(8, 2, 12, pre, true,
                    pre ? ActivationKind.QUICK_GELU : ActivationKind.GELU, 1e-12, names, init());
            check(layer, randn(13, 2, 3, 8), x -> layer.forward(x, mask), layer::backward);
        }
    }

    /** A tower's last layer computed at one row per example: its gradients, and its rows equal the whole pass's. */
    @Test
    void transformerLayerAtChosenRows() {
        INDArray keyMask = Nd4j.createFromArray(new double[][] {{1, 1, 1, 1}, {1, 1, 1, 0}});
        int[] rows = {3, 1};
        for (boolean causal : new boolean[] {false, true}) {
            AttentionMask mask = AttentionMask.of(keyMask, causal, 2, 4, DataType.DOUBLE);
            for (LayerNames names : new LayerNames[] {LayerNames.BERT, LayerNames.VIT, LayerNames.CLIP}) {
                boolean pre = names != LayerNames.BERT;
                TransformerLayer layer = new TransformerLayer(8, 2, 12, pre, true, ActivationKind.GELU, 1e-12, names, init());
                if (causal == pre && names != LayerNames.VIT) {
                    // central differences once per layout (BERT's padding mask, CLIP's causal one): they are the slow part
                    check(layer, randn(13, 2, 4, 8), x -> layer.forwardRows(x, mask, rows), layer::backward);
                }

                INDArray x = randn(14, 2, 4, 8);
                INDArray whole = layer.forward(x, mask);
                INDArray atRows = layer.forwardRows(x, mask, rows);
                for (int b = 0; b < rows.length; b++) {
                    assertTrue(whole.get(NDArrayIndex.point(b), NDArrayIndex.point(rows[b]), NDArrayIndex.all())
                            .equalsWithEps(atRows.get(NDArrayIndex.point(b), NDArrayIndex.point(0), NDArrayIndex.all()), 1e-12),
                            names + " causal=" + causal + " row of example " + b);
                }
                // d(loss)/dx when the loss reads only those rows: the whole pass's backward with zeros elsewhere
                INDArray dRows = randn(15, 2, 1, 8);
                INDArray dWhole = Nd4j.zeros(DataType.DOUBLE, 2, 4, 8);
                TokenPooling.addAt(dWhole, rows, dRows);
                layer.forward(x, mask);
                INDArray expected = layer.backward(dWhole).dup();
                layer.forwardRows(x, mask, rows);
                assertTrue(expected.equalsWithEps(layer.backward(dRows), 1e-12), names + " causal=" + causal + " input gradient");
            }
        }
    }

    /** The rows' attention on the split-heads path equals the heads-in-place one. */
    @Test
    void attentionAtChosenRowsWithBatchedHeads() {
        SelfAttention batched = new SelfAttention(8, 2, true, AttentionNames.BERT, init()).batchedHeads();
        SelfAttention inPlace = new SelfAttention(8, 2, true, AttentionNames.BERT, init());
        INDArray keyMask = Nd4j.createFromArray(new double[][] {{1, 1, 1, 1}, {1, 1, 0, 0}});
        int[] rows = {2, 0};
        AttentionMask mask = AttentionMask.of(keyMask, true, 2, 4, DataType.DOUBLE).forRows(rows);
        INDArray x = randn(16, 2, 4, 8);
        INDArray queries = TokenPooling.select(x, rows);
        assertTrue(batched.forward(queries, x, mask).equalsWithEps(inPlace.forward(queries, x, mask), 1e-12));
        INDArray dy = randn(17, 2, 1, 8);
        SelfAttention.Gradients a = batched.backwardQueries(dy);
        SelfAttention.Gradients b = inPlace.backwardQueries(dy);
        assertTrue(a.queryRows().equalsWithEps(b.queryRows(), 1e-12));
        assertTrue(a.input().equalsWithEps(b.input(), 1e-12));
        assertEquals(0.0, inPlace.attentionProbabilities().getDouble(0, 0, 0, 3), 0.0, "future key of row 2 gets exactly zero");
        assertEquals(0.0, inPlace.attentionProbabilities().getDouble(1, 1, 0, 1), 0.0, "future key of row 0 gets exactly zero");
    }
}
