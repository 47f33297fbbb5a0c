package clip.train;

import clip.io.SafeTensors;
import clip.model.ContrastiveModel;
import clip.model.StateDict;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Writes a trained ViT + BERT dual encoder as an HF {@code VisionTextDualEncoderModel} folder
 * (config.json, model.safetensors with the position_ids buffer, vocab.txt, tokenizer config)
 * that {@code from_pretrained} loads.
 */
public final class HfExport {
    private HfExport() {
    }

    public static void write(ContrastiveModel model, ObjectNode config, Path vocab, Path dir) throws IOException {
        Files.createDirectories(dir);
        Map<String, INDArray> state = StateDict.export(model, "");
        int positions = config.path("text_config").path("max_position_embeddings").asInt(512);
        long[] ids = new long[positions];
        for (int i = 0; i < positions; i++) {
            ids[i] = i;
        }
        state.put("text_model.embeddings.position_ids", Nd4j.createFromArray(ids).reshape(1, positions));
        SafeTensors.write(dir.resolve("model.safetensors"), state);
        ObjectMapper json = new ObjectMapper();
        ObjectNode out = config.deepCopy();
        out.put("logit_scale_init_value", model.logitScale().value().getDouble(0));
        json.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("config.json").toFile(), out);
        Files.copy(vocab, dir.resolve("vocab.txt"), StandardCopyOption.REPLACE_EXISTING);
        ObjectNode tokenizer = json.createObjectNode().put("tokenizer_class", "BertTokenizer").put("do_lower_case", true)
                .put("model_max_length", positions);
        json.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("tokenizer_config.json").toFile(), tokenizer);
    }
}
