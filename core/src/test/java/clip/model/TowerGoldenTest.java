package clip.model;

import clip.layers.Init;

import static clip.testutil.Close.assertClose;

import clip.testutil.Golden;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** HF BertModel and ViTModel goldens: every hidden state, the last hidden state and the pooler. */
class TowerGoldenTest {
    private static final double TOL = 1e-5;

    static TowerConfig config(String model) throws IOException {
        return TowerConfig.fromJson(new ObjectMapper().readTree(Golden.path(model + "/config.json").toFile()), model);
    }

    @Test
    void bert() throws IOException {
        BertModel bert = new BertModel(config("bert"), new Init(0, DataType.FLOAT, 0.02));
        StateDict.load(bert, Golden.safetensors("bert/model.safetensors"), "bert", "");
        TextBatch text = new TextBatch(Golden.npy("bert/inputs/input_ids.npy"), Golden.npy("bert/inputs/attention_mask.npy"),
                Golden.npy("bert/inputs/token_type_ids.npy"));
        TowerOutput out = bert.forward(text);
        check("bert", out);
    }

    @Test
    void vit() throws IOException {
        ViTModel vit = new ViTModel(config("vit"), new Init(0, DataType.FLOAT, 0.02));
        StateDict.load(vit, Golden.safetensors("vit/model.safetensors"), "vit", "");
        check("vit", vit.forward(Golden.npy("vit/inputs/pixel_values.npy")));
    }

    private static void check(String model, TowerOutput out) {
        for (int i = 0; i < out.hiddenStates().size(); i++) {
            INDArray expected = Golden.npy(model + "/outputs/hidden_states_" + i + ".npy");
            assertClose(expected, out.hiddenStates().get(i), TOL, TOL, model + " hidden_states_" + i);
        }
        assertClose(Golden.npy(model + "/outputs/last_hidden_state.npy"), out.lastHiddenState(), TOL, TOL, model + " last");
        assertClose(Golden.npy(model + "/outputs/pooler_output.npy"), out.pooled(), TOL, TOL, model + " pooler");
    }
}
