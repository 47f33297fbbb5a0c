package clip.model;

import clip.layers.Init;

import static clip.testutil.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.io.BadInputException;
import clip.testutil.Golden;
import clip.testutil.GoldenInputs;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Checkpoints as they come: task-model prefixes, gamma/beta, task heads, and keys that do not fit. */
class StateDictTest {
    private static BertModel freshBert() throws Exception {
        return new BertModel(TowerGoldenTest.config("bert"), new Init(1, DataType.FLOAT, 0.02));
    }

    /** The golden BERT weights spelled like an old BertForPreTraining checkpoint. */
    private static Map<String, INDArray> asPreTrainingCheckpoint() {
        Map<String, INDArray> out = new LinkedHashMap<>();
        Golden.safetensors("bert/model.safetensors").forEach((k, v) -> {
            String key = "bert." + k;
            if (key.contains("LayerNorm.weight")) {
                key = key.replace("LayerNorm.weight", "LayerNorm.gamma");
            } else if (key.contains("LayerNorm.bias")) {
                key = key.replace("LayerNorm.bias", "LayerNorm.beta");
            }
            out.put(key, v);
        });
        out.put("cls.predictions.bias", Nd4j.zeros(1000));
        return out;
    }

    @Test
    void prefixGammaBetaAndTaskHeadsAreUnderstood() throws Exception {
        BertModel bert = freshBert();
        List<String> skipped = StateDict.load(bert, asPreTrainingCheckpoint(), "pretraining.safetensors", "");
        assertEquals(List.of("cls.predictions.bias"), skipped);
        TowerOutput out = bert.forward(GoldenInputs.text("bert"));
        assertClose(Golden.npy("bert/outputs/pooler_output.npy"), out.pooled(), 1e-5, 1e-5, "pooler after aliased load");
    }

    @Test
    void missingAndUnknownKeysAreNamed() throws Exception {
        Map<String, INDArray> missing = Golden.safetensors("bert/model.safetensors");
        missing.remove("encoder.layer.1.output.dense.weight");
        BadInputException m = assertThrows(BadInputException.class, () -> StateDict.load(freshBert(), missing, "m.safetensors", ""));
        assertTrue(m.getMessage().contains("m.safetensors") && m.getMessage().contains("encoder.layer.1.output.dense.weight"),
                m.getMessage());

        Map<String, INDArray> extra = Golden.safetensors("bert/model.safetensors");
        extra.put("encoder.layer.9.mystery.weight", Nd4j.zeros(2));
        BadInputException u = assertThrows(BadInputException.class, () -> StateDict.load(freshBert(), extra, "u.safetensors", ""));
        assertTrue(u.getMessage().contains("unknown") && u.getMessage().contains("encoder.layer.9.mystery.weight"), u.getMessage());
    }

    @Test
    void exportRoundTripsThroughSafetensors(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        ContrastiveModel dual = HfModels.load(Golden.path("dual"), DataType.FLOAT).asContrastive();
        java.nio.file.Path file = tmp.resolve("m.safetensors");
        clip.io.SafeTensors.write(file, StateDict.export(dual, ""));
        ContrastiveModel again = HfModels.build(HfModels.readJson(Golden.path("dual/config.json")), "dual",
                new Init(3, DataType.FLOAT, 0.02), null).asContrastive();
        StateDict.load(again, clip.io.SafeTensors.read(file), file.toString(), "");
        INDArray pixels = GoldenInputs.pixels("dual");
        assertEquals(dual.encodeImages(pixels), again.encodeImages(pixels));
    }
}
