package clip.model;

import static clip.testutil.Close.assertClose;
import static clip.testutil.Close.assertGradClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import clip.io.SafeTensors;
import clip.layers.Parameter;
import clip.loss.BatchGradient;
import clip.loss.ClipLoss;
import clip.loss.LossResult;
import clip.testutil.Golden;
import clip.testutil.GoldenInputs;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The seed002 golden, the "CLIP from scratch" recipe on tiny towers: a dual-encoder folder with a
 * ResNet vision tower, a DistilBERT text tower, residual heads and a fixed temperature of 1, run
 * with frozen towers in eval mode: embeddings, logits, loss and the heads' gradients.
 */
public class Seed002RecipeGoldenTest {
    private static final double TOL = 1e-5;

    public static Path recipeFolder(Path dir) throws Exception {
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = json.createObjectNode().put("model_type", "vision-text-dual-encoder").put("projection_dim", 32)
                .put("projection", "residual").put("logit_scale_init_value", 0.0).put("learn_logit_scale", false);
        config.set("vision_config", json.readTree(Golden.path("resnet/config.json").toFile()));
        config.set("text_config", json.readTree(Golden.path("distilbert/config.json").toFile()));
        json.writeValue(dir.resolve("config.json").toFile(), config);
        Map<String, INDArray> state = new LinkedHashMap<>();
        Golden.safetensors("resnet/model.safetensors").forEach((k, v) -> {
            if (!k.startsWith("fc.")) { // the classifier CLIP replaces by the identity
                state.put("vision_model." + k, v);
            }
        });
        // The generator ran seed002 on the same ResNet instance after resnet/train's train-mode pass, so
        // its eval-mode running statistics are buffers_after's (with the model file's: image embeds off by ~0.05).
        Golden.safetensors("resnet/train/buffers_after.safetensors").forEach((k, v) -> state.put("vision_model." + k, v));
        Golden.safetensors("distilbert/model.safetensors").forEach((k, v) -> state.put("text_model." + k, v));
        Golden.safetensors("seed002/heads.safetensors").forEach((k, v) -> state.put(k.replace("image_projection.", "visual_projection."), v));
        state.put("logit_scale", Nd4j.scalar(0f));
        SafeTensors.write(dir.resolve("model.safetensors"), state);
        return dir;
    }

    private static ContrastiveModel recipe(Path dir, DataType type) throws Exception {
        ContrastiveModel model = HfModels.load(recipeFolder(dir), type).asContrastive();
        model.setTowersTrainable(false);
        return model;
    }

    @Test
    void frozenTowersResidualHeadsNoTemperature(@TempDir Path dir) throws Exception {
        ContrastiveModel model = recipe(dir, DataType.FLOAT);
        assertFalse(model.logitScale().trainable(), "the recipe's temperature is fixed");
        LossResult r = BatchGradient.accumulate(model, new ClipLoss(), GoldenInputs.pixels("seed002"), GoldenInputs.text("distilbert"));
        ModelOutput out = model.forward(GoldenInputs.pixels("seed002"), GoldenInputs.text("distilbert"));
        assertClose(Golden.npy("seed002/outputs/image_embeds.npy"), out.imageEmbeds(), TOL, TOL, "image_embeds");
        assertClose(Golden.npy("seed002/outputs/text_embeds.npy"), out.textEmbeds(), TOL, TOL, "text_embeds");
        assertClose(Golden.npy("seed002/outputs/logits_per_text.npy"), out.logitsPerText(), TOL, TOL, "logits_per_text");
        assertEquals(Golden.npy("seed002/outputs/loss.npy").getDouble(0), r.loss(), TOL, "loss");
        Map<String, Parameter> params = model.namedParameters();
        assertFalse(params.get("vision_model.conv1.weight").hasGrad(), "frozen towers get no gradient");
        assertFalse(model.logitScale().hasGrad(), "nor does the fixed temperature");
    }

    /**
     * The heads' gradients in float64 against torch's float64 ones (testdata/torch-f64). At this
     * loss (ln 3 to 5 digits) they are ~1e-4 and the float32 reference carries noise up to 5.6e-5 of
     * max|ref| (torch's own float64 gradients are that far from it), beyond the 1e-5 any port could meet.
     */
    @Test
    void headGradientsInFloat64(@TempDir Path dir) throws Exception {
        ContrastiveModel model = recipe(dir, DataType.DOUBLE);
        BatchGradient.accumulate(model, new ClipLoss(), GoldenInputs.pixels("seed002").castTo(DataType.DOUBLE),
                GoldenInputs.text("distilbert"));
        Map<String, INDArray> grads = Golden.torchF64("seed002/grads.safetensors");
        assertEquals(8, grads.size());
        Map<String, Parameter> params = model.namedParameters();
        for (Map.Entry<String, INDArray> e : grads.entrySet()) {
            Parameter p = params.get(e.getKey().replace("image_projection.", "visual_projection."));
            assertGradClose(e.getValue(), p.grad(), 1e-7, e.getKey());
        }
    }
}
