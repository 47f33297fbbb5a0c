package clip.eval;

import static clip.testutil.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import clip.model.HfModels;
import clip.model.ViTModel;
import clip.layers.TransformerLayer;
import clip.testutil.Golden;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class AttentionRolloutTest {
    /** A layer of two heads over T = 5 tokens ([CLS] + a 2x2 grid): identity rows except where given. */
    private static INDArray layer(double[] headA, double[] headB, int row, double[] rowB) {
        double[][][][] p = new double[1][2][5][5];
        for (int h = 0; h < 2; h++) {
            for (int i = 0; i < 5; i++) {
                p[0][h][i][i] = 1;
            }
        }
        p[0][0][0] = headA;
        p[0][1][0] = headB;
        if (rowB != null) {
            p[0][1][row] = rowB;
        }
        return Nd4j.create(p);
    }

    @Test
    void twoHandMadeLayersRollOutToTheValueComputedByHand() {
        // Layer 1: head means give CLS row [0 .5 .5 0 0] and token 4 row [0 0 0 .5 .5];
        // with the identity: A1' CLS row [.5 .25 .25 0 0], row 4 [0 0 0 .25 .75], other rows e_i.
        INDArray l1 = layer(new double[] {0, 1, 0, 0, 0}, new double[] {0, 0, 1, 0, 0}, 4, new double[] {0, 0, 0, 1, 0});
        // Layer 2: CLS row mean [0 .5 0 0 .5]; A2' CLS row [.5 .25 0 0 .25].
        INDArray l2 = layer(new double[] {0, 0, 0, 0, 1}, new double[] {0, 1, 0, 0, 0}, 0, null);
        // R = A2' A1': CLS row = .5 [.5 .25 .25 0 0] + .25 e_1 + .25 [0 0 0 .25 .75] = [.25 .375 .125 .0625 .1875]
        // (the other order, A1' A2', would give [.25 .375 .25 0 .125]).
        INDArray r = AttentionRollout.rollout(List.of(l1, l2));
        assertClose(Nd4j.create(new double[] {.25, .375, .125, .0625, .1875}), r.getRow(0), 1e-12, 0, "CLS row");
        assertClose(Nd4j.create(new double[] {0, 0, 0, .25, .75}), r.getRow(4), 1e-12, 0, "token 4 row");
        assertClose(Nd4j.create(new double[] {0, 0, 1, 0, 0}), r.getRow(2), 1e-12, 0, "token 2 row");
        // patches [.375 .125 .0625 .1875], min-max: (x - .0625) / .3125
        INDArray map = AttentionRollout.clsMap(r, 2, 2);
        assertClose(Nd4j.create(new double[][] {{1, .2}, {0, .4}}), map, 1e-12, 0, "map");
    }

    @Test
    void goldenVitMapMatchesARolloutRecomputedInDoubleFromItsWeightsAndHiddenStates() {
        ViTModel vit = (ViTModel) HfModels.load(Golden.path("vit"), DataType.FLOAT).module();
        Map<String, INDArray> w = Golden.safetensors("vit/model.safetensors");
        INDArray pixels = Golden.npy("vit/inputs/pixel_values.npy");
        INDArray[] hidden = {Golden.npy("vit/outputs/hidden_states_0.npy"), Golden.npy("vit/outputs/hidden_states_1.npy")};
        for (int image = 0; image < pixels.size(0); image++) {
            INDArray one = pixels.get(NDArrayIndex.interval(image, image + 1), NDArrayIndex.all(), NDArrayIndex.all(),
                    NDArrayIndex.all()).dup('c');
            INDArray map = AttentionRollout.ofImage(vit, one, 4, 4);
            assertArrayEquals(new long[] {4, 4}, map.shape(), "one value per patch of the 4x4 grid");
            assertEquals(0.0, map.minNumber().doubleValue(), 0.0, "coldest patch");
            assertEquals(1.0, map.maxNumber().doubleValue(), 0.0, "hottest patch");

            List<INDArray> probabilities = new ArrayList<>();
            for (TransformerLayer layer : vit.layers()) {
                probabilities.add(layer.attention().attentionProbabilities());
            }
            INDArray r = AttentionRollout.rollout(probabilities);
            assertClose(Nd4j.ones(DataType.DOUBLE, 17), r.sum(1), 1e-12, 0, "rollout rows sum to 1");

            double[] cls = independentRolloutClsRow(w, hidden, image);
            assertClose(Nd4j.create(cls), r.getRow(0), 1e-6, 1e-5, "image " + image + " CLS row");
            double min = Double.MAX_VALUE;
            double max = -Double.MAX_VALUE;
            for (int j = 1; j < 17; j++) {
                min = Math.min(min, cls[j]);
                max = Math.max(max, cls[j]);
            }
            double[][] expected = new double[4][4];
            for (int j = 1; j < 17; j++) {
                expected[(j - 1) / 4][(j - 1) % 4] = (cls[j] - min) / (max - min);
            }
            assertClose(Nd4j.create(expected), map, 1e-4, 0, "image " + image + " map");
        }
    }

    /** HF ViTSelfAttention on LayerNorm_before(golden layer input), head mean, rollout: plain double loops. */
    private static double[] independentRolloutClsRow(Map<String, INDArray> w, INDArray[] hidden, int image) {
        int t = 17;
        int dim = 64;
        int heads = 4;
        int dh = dim / heads;
        double[][] rollout = null;
        for (int l = 0; l < hidden.length; l++) {
            String p = "encoder.layer." + l + ".";
            double[][] x = hidden[l].get(NDArrayIndex.point(image), NDArrayIndex.all(), NDArrayIndex.all())
                    .castTo(DataType.DOUBLE).toDoubleMatrix();
            double[] gamma = vector(w, p + "layernorm_before.weight");
            double[] beta = vector(w, p + "layernorm_before.bias");
            double[][] y = new double[t][dim];
            for (int i = 0; i < t; i++) {
                double mean = 0;
                for (double v : x[i]) {
                    mean += v / dim;
                }
                double var = 0;
                for (double v : x[i]) {
                    var += (v - mean) * (v - mean) / dim;
                }
                for (int d = 0; d < dim; d++) {
                    y[i][d] = (x[i][d] - mean) / Math.sqrt(var + 1e-12) * gamma[d] + beta[d];
                }
            }
            double[][] q = linear(y, w, p + "attention.attention.query");
            double[][] k = linear(y, w, p + "attention.attention.key");
            double[][] a = new double[t][t];
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < t; i++) {
                    double[] s = new double[t];
                    double top = -Double.MAX_VALUE;
                    for (int j = 0; j < t; j++) {
                        for (int d = h * dh; d < (h + 1) * dh; d++) {
                            s[j] += q[i][d] * k[j][d];
                        }
                        s[j] /= Math.sqrt(dh);
                        top = Math.max(top, s[j]);
                    }
                    double z = 0;
                    for (int j = 0; j < t; j++) {
                        s[j] = Math.exp(s[j] - top);
                        z += s[j];
                    }
                    for (int j = 0; j < t; j++) {
                        a[i][j] += s[j] / z / heads;
                    }
                }
            }
            for (int i = 0; i < t; i++) {
                for (int j = 0; j < t; j++) {
                    a[i][j] = 0.5 * a[i][j] + (i == j ? 0.5 : 0);
                }
            }
            rollout = rollout == null ? a : multiply(a, rollout);
        }
        return rollout[0];
    }

    private static double[] vector(Map<String, INDArray> w, String key) {
        return w.get(key).castTo(DataType.DOUBLE).toDoubleVector();
    }

    private static double[][] linear(double[][] x, Map<String, INDArray> w, String prefix) {
        double[][] weight = w.get(prefix + ".weight").castTo(DataType.DOUBLE).toDoubleMatrix();
        double[] bias = vector(w, prefix + ".bias");
        double[][] y = new double[x.length][weight.length];
        for (int i = 0; i < x.length; i++) {
            for (int o = 0; o < weight.length; o++) {
                double s = bias[o];
                for (int d = 0; d < x[i].length; d++) {
                    s += x[i][d] * weight[o][d];
                }
                y[i][o] = s;
            }
        }
        return y;
    }

    private static double[][] multiply(double[][] a, double[][] b) {
        double[][] c = new double[a.length][b[0].length];
        for (int i = 0; i < a.length; i++) {
            for (int k = 0; k < b.length; k++) {
                for (int j = 0; j < b[0].length; j++) {
                    c[i][j] += a[i][k] * b[k][j];
                }
            }
        }
        return c;
    }
}
