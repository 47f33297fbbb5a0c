package clip.model;

import clip.layers.Parameter;

import static clip.testutil.Close.assertClose;
import static clip.testutil.Close.assertGradClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.testutil.Golden;
import clip.testutil.GoldenInputs;
import clip.loss.BatchGradient;
import clip.loss.ClipLoss;
import clip.loss.LossResult;
import clip.loss.SigLipLoss;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** HF CLIPModel and VisionTextDualEncoderModel: outputs, loss and every parameter's gradient. */
class ContrastiveModelGoldenTest {
    private static final double TOL = 1e-5;

    static ContrastiveModel load(String model, Double logitBias) {
        return HfModels.load(Golden.path(model), DataType.FLOAT, logitBias).asContrastive();
    }

    @ParameterizedTest
    @ValueSource(strings = {"clip", "dual"})
    void forwardMatchesEveryOutput(String name) {
        ContrastiveModel model = load(name, null);
        ModelOutput out = model.forward(Golden.npy(name + "/inputs/pixel_values.npy"), GoldenInputs.text(name));
        String o = name + "/outputs/";
        assertClose(Golden.npy(o + "image_embeds.npy"), out.imageEmbeds(), TOL, TOL, "image_embeds");
        assertClose(Golden.npy(o + "text_embeds.npy"), out.textEmbeds(), TOL, TOL, "text_embeds");
        double scale = Math.exp(model.logitScale().value().getDouble(0));
        assertClose(Golden.npy(o + "logits_per_image.npy"), out.logitsPerImage(), TOL * scale, TOL, "logits_per_image");
        assertClose(Golden.npy(o + "logits_per_text.npy"), out.logitsPerText(), TOL * scale, TOL, "logits_per_text");
        for (String tower : new String[] {"vision", "text"}) {
            TowerOutput t = tower.equals("vision") ? out.vision() : out.text();
            for (int i = 0; i < t.hiddenStates().size(); i++) {
                assertClose(Golden.npy(o + tower + "_hidden_states_" + i + ".npy"), t.hiddenStates().get(i), TOL, TOL,
                        tower + "_hidden_states_" + i);
            }
            assertClose(Golden.npy(o + tower + "_last_hidden_state.npy"), t.lastHiddenState(), TOL, TOL, tower + " last");
            assertClose(Golden.npy(o + tower + "_pooler_output.npy"), t.pooled(), TOL, TOL, tower + " pooler");
        }
        if (name.equals("dual")) {
            assertClose(Golden.npy(o + "image_features.npy"), out.imageFeatures(), TOL, TOL, "image_features");
            assertClose(Golden.npy(o + "text_features.npy"), out.textFeatures(), TOL, TOL, "text_features");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"clip", "dual"})
    void clipLossGradientsMatchEveryParameter(String name) {
        ContrastiveModel model = load(name, null);
        LossResult r = BatchGradient.accumulate(model, new ClipLoss(), Golden.npy(name + "/inputs/pixel_values.npy"), GoldenInputs.text(name));
        assertEquals(Golden.npy(name + "/outputs/loss.npy").getDouble(0), r.loss(), TOL, "loss");
        assertEquals(Golden.npy(name + "/train/loss.npy").getDouble(0), r.loss(), TOL, "train loss");
        checkGradients(model, Golden.safetensors(name + "/train/grads.safetensors"));
    }

    @Test
    void sigLipLossAndGradientsIncludingTheBias() {
        ContrastiveModel model = load("clip", -10.0);
        model.logitScale().value().assign((float) Math.log(10));
        LossResult r = BatchGradient.accumulate(model, new SigLipLoss(), Golden.npy("clip/inputs/pixel_values.npy"), GoldenInputs.text("clip"));
        assertEquals(Golden.npy("clip/train/siglip/loss.npy").getDouble(0), r.loss(), TOL, "siglip loss");
        assertClose(Golden.npy("clip/train/siglip/logits.npy"), r.logitsPerImage(), TOL * 10, TOL, "siglip logits");
        Map<String, INDArray> grads = Golden.safetensors("clip/train/siglip/grads.safetensors");
        assertTrue(grads.containsKey("logit_bias"));
        checkGradients(model, grads);
    }

    /**
     * Projecting the towers' pooled outputs gives the embeddings encoding gives; the backward pass
     * then stops at the projections, which needs frozen towers.
     */
    @Test
    void projectingPooledFeaturesIsEncodingWithTheTowersRunEarlier() {
        ContrastiveModel model = load("dual", null);
        INDArray pixels = GoldenInputs.pixels("dual");
        INDArray encoded = model.encodeImages(pixels).dup();
        INDArray projected = model.projectImages(model.vision().forward(pixels).pooled());
        assertEquals(0, encoded.sub(projected).amaxNumber().doubleValue(), 1e-6);
        INDArray grad = projected.mul(0.1);
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> model.backwardImages(grad));
        assertTrue(e.getMessage().contains("vision tower is trainable but was given features"), e.getMessage());
        model.setTowersTrainable(false);
        model.zeroGrad();
        model.backwardImages(grad);
        assertTrue(model.namedParameters().get("visual_projection.weight").grad().amaxNumber().doubleValue() > 0);
    }

    static void checkGradients(ContrastiveModel model, Map<String, INDArray> expected) {
        Map<String, Parameter> params = model.namedParameters();
        assertEquals(expected.keySet(), params.keySet(), "every parameter has a reference gradient");
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            INDArray grad = e.getValue().grad().reshape(expected.get(e.getKey()).shape());
            if (e.getKey().endsWith("k_proj.bias") || e.getKey().endsWith(".key.bias")) {
                assertTrue(grad.amaxNumber().doubleValue() <= 1e-6, e.getKey() + " true gradient is zero");
            } else {
                assertGradClose(expected.get(e.getKey()), grad, TOL, e.getKey());
            }
        }
    }
}
