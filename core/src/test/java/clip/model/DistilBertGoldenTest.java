package clip.model;

import static clip.testutil.Close.assertClose;
import static clip.testutil.Close.assertGradClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.layers.Init;
import clip.layers.Parameter;
import clip.testutil.Golden;
import clip.testutil.GoldenInputs;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** HF DistilBertModel golden: every hidden state, the float64 rerun, and every parameter's gradient. */
class DistilBertGoldenTest {
    private static final double TOL = 1e-5;

    private static DistilBertModel load(DataType type) {
        HfModel m = HfModels.load(Golden.path("distilbert"), type);
        assertEquals("distilbert", m.modelType());
        return (DistilBertModel) m.module();
    }

    @Test
    void everyHiddenStateAndTheClsFeature() {
        TowerOutput out = load(DataType.FLOAT).forward(GoldenInputs.text("distilbert"));
        for (int i = 0; i < out.hiddenStates().size(); i++) {
            assertClose(Golden.npy("distilbert/outputs/hidden_states_" + i + ".npy"), out.hiddenStates().get(i), TOL, TOL,
                    "hidden_states_" + i);
        }
        INDArray last = Golden.npy("distilbert/outputs/last_hidden_state.npy");
        assertClose(last, out.lastHiddenState(), TOL, TOL, "last_hidden_state");
        assertClose(last.slice(1).slice(0), out.pooled().slice(1), TOL, TOL, "[CLS] feature of row 1");
    }

    @Test
    void float64EqualsTheFloat64Rerun() {
        TextBatch text = GoldenInputs.text("distilbert");
        INDArray last = load(DataType.DOUBLE).forward(text).lastHiddenState();
        assertClose(Golden.npy("distilbert/outputs/last_hidden_state.f64.npy"), last, 1e-10, 1e-10, "float64 last_hidden_state");
    }

    @Test
    void gradientsOfTheMaskedLoss() {
        DistilBertModel model = load(DataType.FLOAT);
        TextBatch text = GoldenInputs.text("distilbert");
        INDArray last = model.forward(text).lastHiddenState();
        INDArray mask = text.attentionMask().castTo(DataType.FLOAT);
        INDArray dLast = Golden.npy("distilbert/train/R.npy").mul(mask.reshape(mask.size(0), mask.size(1), 1)
                .broadcast(last.shape()));
        assertEquals(Golden.npy("distilbert/train/loss.npy").getDouble(0), last.mul(dLast).sumNumber().doubleValue(),
                TOL + TOL * Math.abs(Golden.npy("distilbert/train/loss.npy").getDouble(0)), "loss");
        model.backward(dLast, null);
        Map<String, INDArray> grads = Golden.safetensors("distilbert/train/grads.safetensors");
        Map<String, Parameter> params = model.namedParameters();
        assertEquals(grads.keySet(), params.keySet(), "every parameter has a reference gradient");
        grads.forEach((k, g) -> {
            if (k.endsWith("k_lin.bias")) {
                // softmax is shift invariant: zero in theory, float noise in both
                assertTrue(params.get(k).grad().amaxNumber().doubleValue() <= 1e-6, k);
            } else {
                assertGradClose(g, params.get(k).grad(), TOL, "grad " + k);
            }
        });
    }

    @Test
    void sinusoidalPositionsAreAFixedBufferWithHfValues() throws Exception {
        TowerConfig c = TowerConfig.fromJson(new ObjectMapper().readTree(
                "{\"model_type\": \"distilbert\", \"dim\": 8, \"n_layers\": 1, \"n_heads\": 2, \"hidden_dim\": 16,"
                        + " \"vocab_size\": 20, \"max_position_embeddings\": 6}"), "cfg");
        DistilBertModel m = new DistilBertModel(c, true, new Init(0, DataType.DOUBLE, 0.02));
        assertFalse(m.namedParameters().containsKey("embeddings.position_embeddings.weight"));
        INDArray table = m.namedBuffers().get("embeddings.position_embeddings.weight");
        assertEquals(Math.sin(3), table.getDouble(3, 0), 1e-15);
        assertEquals(Math.cos(3), table.getDouble(3, 1), 1e-15);
        assertEquals(Math.sin(3 / Math.pow(10000, 2.0 / 8)), table.getDouble(3, 2), 1e-15);
        assertEquals(Math.cos(3 / Math.pow(10000, 6.0 / 8)), table.getDouble(3, 7), 1e-15);
    }
}
