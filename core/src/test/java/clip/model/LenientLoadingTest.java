package clip.model;

import static clip.testutil.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.io.BadInputException;
import clip.io.SafeTensors;
import clip.testutil.Golden;
import clip.testutil.GoldenInputs;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Checkpoints without weights that their pooling never uses load with a warning; used and unknown weights stay strict. */
class LenientLoadingTest {

    private static Path copyOf(String model, Path dir, UnaryOperator<Map<String, INDArray>> edit) throws Exception {
        Files.copy(Golden.path(model + "/config.json"), dir.resolve("config.json"));
        SafeTensors.write(dir.resolve("model.safetensors"),
                edit.apply(new LinkedHashMap<>(Golden.safetensors(model + "/model.safetensors"))));
        return dir;
    }

    private static Map<String, INDArray> withoutPooler(Map<String, INDArray> state) {
        state.keySet().removeIf(k -> k.contains("pooler."));
        return state;
    }

    @Test
    void bertWithoutPoolerLoadsWithAWarningAndPoolsAtCls(@TempDir Path dir) throws Exception {
        copyOf("bert", dir, LenientLoadingTest::withoutPooler);
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        HfModel model;
        try {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            model = HfModels.load(dir, DataType.FLOAT);
        } finally {
            System.setErr(err);
        }
        String warning = captured.toString(StandardCharsets.UTF_8);
        assertTrue(warning.contains("pooler.dense.weight") && warning.contains("pooler.dense.bias"), warning);
        TowerOutput out = ((BertModel) model.module()).forward(GoldenInputs.text("bert"));
        INDArray last = Golden.npy("bert/outputs/last_hidden_state.npy");
        assertClose(last, out.lastHiddenState(), 1e-5, 1e-5, "last_hidden_state");
        for (int b = 0; b < last.size(0); b++) {
            assertClose(last.slice(b).slice(0), out.pooled().slice(b), 1e-5, 1e-5, "[CLS] of row " + b);
        }
    }

    @Test
    void usedWeightsStayRequired(@TempDir Path dir) throws Exception {
        copyOf("bert", dir, s -> {
            withoutPooler(s).remove("encoder.layer.1.output.dense.bias");
            return s;
        });
        BadInputException e = assertThrows(BadInputException.class, () -> HfModels.load(dir, DataType.FLOAT));
        assertTrue(e.getMessage().contains("missing 1 tensor(s): encoder.layer.1.output.dense.bias"), e.getMessage());
    }

    @Test
    void aDualEncoderPoolsThroughItsPoolerSoThePoolerStaysRequired(@TempDir Path dir) throws Exception {
        copyOf("dual", dir, LenientLoadingTest::withoutPooler);
        BadInputException e = assertThrows(BadInputException.class, () -> HfModels.load(dir, DataType.FLOAT));
        assertTrue(e.getMessage().contains("pooler.dense.weight"), e.getMessage());
    }

    @Test
    void unknownKeysStayAnError(@TempDir Path dir) throws Exception {
        copyOf("bert", dir, s -> {
            withoutPooler(s).put("encoder.layer.9.extra.weight", s.get("embeddings.LayerNorm.weight"));
            return s;
        });
        BadInputException e = assertThrows(BadInputException.class, () -> HfModels.load(dir, DataType.FLOAT));
        assertTrue(e.getMessage().contains("unknown tensor(s) encoder.layer.9.extra.weight"), e.getMessage());
    }
}
