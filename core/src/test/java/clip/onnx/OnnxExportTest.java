package clip.onnx;

import static clip.testutil.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.io.BadInputException;
import clip.model.ContrastiveModel;
import clip.model.HfModels;
import clip.model.Seed002RecipeGoldenTest;
import clip.model.TextBatch;
import clip.testutil.Golden;
import clip.testutil.GoldenInputs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The exported towers, run by ONNX Runtime, give the project's own embeddings (ContrastiveModel's
 * encodeImages / encodeTexts, what bin/clip embed computes) within 1e-5 on the goldens' inputs, at
 * two batch sizes and two sequence lengths: CLIP (OpenAI layout), ViT + BERT, ResNet + DistilBERT
 * with residual heads.
 */
class OnnxExportTest {
    private static final double TOL = 1e-5;

    @Test
    void clipTowers(@TempDir Path dir) throws Exception {
        OnnxExport.Repository repo = OnnxExport.export(Golden.path("clip"), dir, "clip", 8);
        ContrastiveModel model = HfModels.load(Golden.path("clip"), DataType.FLOAT).asContrastive();
        INDArray images = checkImages(model, repo.imageOnnx(), GoldenInputs.pixels("clip"));
        INDArray texts = checkTexts(model, repo.textOnnx(), GoldenInputs.text("clip"));
        // and so the goldens' own (CLIP has no token types to differ in)
        assertClose(Golden.npy("clip/outputs/image_embeds.npy"), images, TOL, TOL, "golden image_embeds");
        assertClose(Golden.npy("clip/outputs/text_embeds.npy"), texts, TOL, TOL, "golden text_embeds");
    }

    @Test
    void vitAndBertTowers(@TempDir Path dir) throws Exception {
        OnnxExport.Repository repo = OnnxExport.export(Golden.path("dual"), dir, "dual", 8);
        ContrastiveModel model = HfModels.load(Golden.path("dual"), DataType.FLOAT).asContrastive();
        checkImages(model, repo.imageOnnx(), GoldenInputs.pixels("dual"));
        checkTexts(model, repo.textOnnx(), GoldenInputs.text("dual"));
    }

    @Test
    void resNetAndDistilBertTowersWithResidualHeads(@TempDir Path dir) throws Exception {
        Path folder = Seed002RecipeGoldenTest.recipeFolder(Files.createDirectory(dir.resolve("recipe")));
        OnnxExport.Repository repo = OnnxExport.export(folder, dir.resolve("repo"), "recipe", 8);
        ContrastiveModel model = HfModels.load(folder, DataType.FLOAT).asContrastive();
        checkImages(model, repo.imageOnnx(), GoldenInputs.pixels("seed002"));
        checkTexts(model, repo.textOnnx(), GoldenInputs.text("distilbert"));
        String config = Files.readString(repo.imageModel().resolve("config.pbtxt"));
        assertTrue(config.contains("name: \"recipe_image\"") && config.contains("dims: [ 3, -1, -1 ]")
                && config.contains("max_batch_size: 8") && config.contains("platform: \"onnxruntime_onnx\""), config);
        assertTrue(Files.readString(repo.textModel().resolve("config.pbtxt")).contains("dims: [ -1 ]"));
    }

    /** Weights past the limit go to model.onnx.data, which ONNX Runtime reads beside the model. */
    @Test
    void externalWeights(@TempDir Path dir) throws Exception {
        ContrastiveModel model = HfModels.load(Golden.path("dual"), DataType.FLOAT).asContrastive();
        OnnxExport.Repository repo = OnnxExport.export(model, dir, "dual", 8, 0);
        Path data = repo.imageOnnx().resolveSibling("model.onnx.data");
        assertTrue(Files.size(data) > Files.size(repo.imageOnnx()), "the weights are outside the model file");
        checkImages(model, repo.imageOnnx(), GoldenInputs.pixels("dual"));
    }

    @Test
    void refusesSingleTowersAndExistingModels(@TempDir Path dir) throws Exception {
        BadInputException e = assertThrows(BadInputException.class, () -> OnnxExport.export(Golden.path("bert"), dir, "m", 8));
        assertEquals(Golden.path("bert") + ": export --onnx needs a CLIPModel or VisionTextDualEncoderModel, not model_type bert",
                e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        OnnxExport.export(Golden.path("clip"), dir, "m", 8);
        long size = Files.size(dir.resolve("m_image/1/model.onnx"));
        e = assertThrows(BadInputException.class, () -> OnnxExport.export(Golden.path("dual"), dir, "m", 8));
        assertEquals(dir.resolve("m_image") + ": already exists (remove it, or choose another --name or --out)", e.getMessage());
        assertEquals(size, Files.size(dir.resolve("m_image/1/model.onnx")), "the model already there is kept");
    }

    /** All images, then the last one alone: two batch sizes through one session. */
    private static INDArray checkImages(ContrastiveModel model, Path onnx, INDArray pixels) throws Exception {
        try (OnnxRuntimeRunner ort = new OnnxRuntimeRunner(onnx, 1)) {
            INDArray all = ort.run(Map.of(OnnxExport.PIXELS, pixels));
            assertClose(model.encodeImages(pixels), all, TOL, 0, "image_embeds, batch " + pixels.size(0));
            INDArray last = pixels.get(NDArrayIndex.interval(pixels.size(0) - 1, pixels.size(0))).dup('c');
            assertClose(model.encodeImages(last), ort.run(Map.of(OnnxExport.PIXELS, last)), TOL, 0, "image_embeds, batch 1");
            return all;
        }
    }

    /** All texts padded alike, then the second one alone without its padding: two batch sizes and lengths. */
    private static INDArray checkTexts(ContrastiveModel model, Path onnx, TextBatch golden) throws Exception {
        TextBatch batch = new TextBatch(golden.inputIds(), golden.attentionMask(), null);
        try (OnnxRuntimeRunner ort = new OnnxRuntimeRunner(onnx, 1)) {
            INDArray all = ort.run(Map.of(OnnxExport.INPUT_IDS, batch.inputIds(), OnnxExport.ATTENTION_MASK, batch.attentionMask()));
            assertClose(model.encodeTexts(batch), all, TOL, 0, "text_embeds, batch " + batch.batchSize());
            long length = batch.attentionMask().getRow(1).sumNumber().longValue();
            assertTrue(length < batch.length(), "the second text is padded");
            TextBatch one = new TextBatch(batch.inputIds().get(NDArrayIndex.interval(1, 2), NDArrayIndex.interval(0, length)).dup('c'),
                    batch.attentionMask().get(NDArrayIndex.interval(1, 2), NDArrayIndex.interval(0, length)).dup('c'), null);
            assertClose(model.encodeTexts(one),
                    ort.run(Map.of(OnnxExport.INPUT_IDS, one.inputIds(), OnnxExport.ATTENTION_MASK, one.attentionMask())),
                    TOL, 0, "text_embeds, batch 1 of " + length + " tokens");
            return all;
        }
    }
}
