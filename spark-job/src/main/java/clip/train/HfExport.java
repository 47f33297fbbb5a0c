package clip.train;

import clip.data.ImagePreprocessor;
import clip.io.SafeTensors;
import clip.model.ContrastiveModel;
import clip.model.HfModels;
import clip.model.StateDict;
import clip.tokenize.BertTokenizer;
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
 * Writes a trained dual encoder as an HF {@code VisionTextDualEncoderModel} folder
 * (config.json, model.safetensors with the position_ids buffer, vocab.txt, tokenizer config)
 * that {@code from_pretrained} loads. The tokenizer's {@code model_max_length} is the caption
 * length training used, so bin/clip eval cuts captions where training's validation did.
 */
public final class HfExport {
    private HfExport() {
    }

    public static void write(ModelFactory.Built built, int maxTextLength, Path dir) throws IOException {
        ContrastiveModel model = built.model();
        ObjectNode config = built.hfConfig();
        Path vocab = built.vocab();
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
        // A cased checkpoint's tokenizer_config.json stays cased (do_lower_case false): keep its casing.
        Path sourceConfig = BertTokenizer.tokenizerConfig(vocab);
        boolean lowerCase = !Files.isRegularFile(sourceConfig)
                || HfModels.readJson(sourceConfig).path("do_lower_case").asBoolean(true);
        ObjectNode tokenizer = json.createObjectNode().put("tokenizer_class", "BertTokenizer").put("do_lower_case", lowerCase)
                .put("model_max_length", Math.min(maxTextLength, positions));
        json.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("tokenizer_config.json").toFile(), tokenizer);
        json.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("preprocessor_config.json").toFile(), imageProcessor(built.pre()));
    }

    /**
     * How training prepares images, for HF's CLIPImageProcessor and bin/clip eval: shorter side to
     * the model's size (bicubic), a square from the centre (training crops at random), training's mean and std.
     */
    private static ObjectNode imageProcessor(ImagePreprocessor pre) {
        int size = pre.size();
        ObjectNode p = new ObjectMapper().createObjectNode().put("image_processor_type", "CLIPImageProcessor")
                .put("do_resize", true).put("resample", 3).put("do_center_crop", true).put("do_rescale", true)
                .put("rescale_factor", 1 / 255.0).put("do_normalize", true).put("do_convert_rgb", true);
        p.putObject("size").put("shortest_edge", size);
        p.putObject("crop_size").put("height", size).put("width", size);
        double[] mean = pre.mean();
        double[] std = pre.std();
        p.putArray("image_mean").add(mean[0]).add(mean[1]).add(mean[2]);
        p.putArray("image_std").add(std[0]).add(std[1]).add(std[2]);
        return p;
    }
}
