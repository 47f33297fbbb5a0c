package clip.cli;

import static clip.testutil.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.model.ContrastiveModel;
import clip.model.HfModels;
import clip.model.TextBatch;
import clip.onnx.OnnxExport;
import clip.onnx.OnnxRuntimeRunner;
import clip.testutil.Golden;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** {@code bin/clip export --onnx}: a training run's checkpoint to a Triton repository, and its one-line refusals. */
class ExportOnnxCommandTest {
    @TempDir
    Path tmp;

    private String lastError;

    private int run(String... argv) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.cli().run(argv, new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
        lastError = err.toString(StandardCharsets.UTF_8).trim();
        return code;
    }

    @Test
    void aTrainedRunExportsTowersThatOnnxRuntimeRunsAsWeDo() throws Exception {
        Path run = tmp.resolve("run");
        assertEquals(0, run("train", "tiny", "train.steps=2", "train.checkpoint-every=2", "output.dir=" + run), lastError);
        Path repo = tmp.resolve("repo");
        assertEquals(0, run("export", "--onnx", "--run", run.toString(), "--out", repo.toString(), "--name", "tiny",
                "--max-batch", "16"), lastError);
        assertTrue(Files.readString(repo.resolve("tiny_image/config.pbtxt")).contains("max_batch_size: 16"));
        ContrastiveModel model = HfModels.load(run.resolve("model"), DataType.FLOAT).asContrastive();
        INDArray pixels = Nd4j.rand(DataType.FLOAT, 2, 3, 16, 16);
        try (OnnxRuntimeRunner ort = new OnnxRuntimeRunner(repo.resolve("tiny_image/1/model.onnx"), 1)) {
            assertClose(model.encodeImages(pixels), ort.run(Map.of(OnnxExport.PIXELS, pixels)), 1e-5, 0, "image_embeds");
        }
        TextBatch text = new TextBatch(Nd4j.createFromArray(new long[][] {{2, 7, 8, 3}, {2, 9, 3, 0}}),
                Nd4j.createFromArray(new long[][] {{1, 1, 1, 1}, {1, 1, 1, 0}}), null);
        try (OnnxRuntimeRunner ort = new OnnxRuntimeRunner(repo.resolve("tiny_text/1/model.onnx"), 1)) {
            assertClose(model.encodeTexts(text), ort.run(Map.of(OnnxExport.INPUT_IDS, text.inputIds(),
                    OnnxExport.ATTENTION_MASK, text.attentionMask())), 1e-5, 0, "text_embeds");
        }
    }

    @Test
    void badInputGetsOneLine() {
        Path repo = tmp.resolve("repo");
        assertEquals(2, run("export", "--onnx", "--model", Golden.path("vit").toString(), "--out", repo.toString()));
        assertEquals("error: " + Golden.path("vit") + ": export --onnx needs a CLIPModel or VisionTextDualEncoderModel, not model_type vit",
                lastError);
        assertEquals(2, run("export", "--onnx", "--model", tmp.resolve("none").toString(), "--out", repo.toString()));
        assertEquals("error: " + tmp.resolve("none") + ": no such model directory", lastError);
        assertEquals(2, run("export", "--onnx", "--out", repo.toString()));
        assertEquals("error: export --onnx needs exactly one of --model DIR (an HF folder) and --run DIR", lastError);
        assertEquals(2, run("export", "--onnx", "--model", Golden.path("dual").toString(), "--out", repo.toString(), "--name", "a b"));
        assertTrue(lastError.startsWith("error: --name 'a b': "), lastError);
        assertEquals(false, Files.exists(repo), "nothing written on refusal");
    }
}
