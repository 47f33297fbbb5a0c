package clip.train;

import clip.io.SafeTensors;
import clip.layers.Init;
import clip.model.DistilBertModel;
import clip.model.ResNetConfig;
import clip.model.ResNetModel;
import clip.model.StateDict;
import clip.model.TowerConfig;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Tower folders in the forms the recipes download, at a tiny size: a timm-style ResNet folder
 * (config.json with {@code architecture} and {@code pretrained_cfg} mean/std, a classifier {@code fc}
 * in the weights, running statistics that are not the initial ones) and an HF DistilBERT folder as
 * {@code distilbert-base-uncased} is saved (a {@code distilbert.} prefix, the masked-LM head
 * {@code vocab_*}, vocab.txt, a tokenizer_config.json).
 */
final class TinyTowerFolders {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The ResNet folder's pretrained_cfg mean and std. */
    static final double[] MEAN = {0.5, 0.4, 0.3};
    static final double[] STD = {0.2, 0.25, 0.3};

    private TinyTowerFolders() {
    }

    static Path resnet(Path dir, boolean bottleneck) throws IOException {
        Files.createDirectories(dir);
        ObjectNode config = JSON.createObjectNode().put("architecture", "resnet").put("block", bottleneck ? "bottleneck" : "basic")
                .put("num_classes", 10);
        config.putArray("layers").add(1).add(1).add(1).add(1);
        config.putArray("planes").add(4).add(4).add(8).add(8);
        ObjectNode timm = config.putObject("pretrained_cfg");
        // not ImageNet's: the run must take these from the folder
        timm.putArray("mean").add(MEAN[0]).add(MEAN[1]).add(MEAN[2]);
        timm.putArray("std").add(STD[0]).add(STD[1]).add(STD[2]);
        timm.putArray("input_size").add(3).add(32).add(32);
        ResNetConfig shape = ResNetConfig.fromJson(config, "tiny resnet");
        ResNetModel model = new ResNetModel(shape, new Init(5, DataType.FLOAT, 0.3));
        Map<String, INDArray> state = StateDict.export(model, "");
        // a seeded generator: what the tests train from must not depend on which tests ran before
        Random rng = Nd4j.getRandomFactory().getNewRandomInstance(5);
        int i = 0;
        for (Map.Entry<String, INDArray> e : model.namedBuffers().entrySet()) {
            // running statistics of an ImageNet-trained tower, not torch's initial zeros and ones
            e.getValue().assign(Nd4j.rand(rng, e.getValue().shape()).castTo(DataType.FLOAT).muli(0.2)
                    .addi(e.getKey().endsWith("running_var") ? 0.9 : -0.1 + 0.01 * i++));
        }
        state.put("fc.weight", Nd4j.rand(rng, 10, shape.features()).castTo(DataType.FLOAT));
        state.put("fc.bias", Nd4j.zeros(DataType.FLOAT, 10));
        SafeTensors.write(dir.resolve("model.safetensors"), state);
        JSON.writeValue(dir.resolve("config.json").toFile(), config);
        return dir;
    }

    static Path distilbert(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path vocab = ModelFactory.writeSyntheticVocab(dir);
        int vocabSize = Files.readAllLines(vocab).size();
        ObjectNode config = JSON.createObjectNode().put("model_type", "distilbert").put("vocab_size", vocabSize).put("dim", 16)
                .put("n_layers", 1).put("n_heads", 2).put("hidden_dim", 32).put("max_position_embeddings", 64)
                .put("sinusoidal_pos_embds", false);
        config.putArray("architectures").add("DistilBertForMaskedLM");
        DistilBertModel model = new DistilBertModel(TowerConfig.fromJson(config, "tiny distilbert"), false,
                new Init(6, DataType.FLOAT, 0.3));
        Map<String, INDArray> state = StateDict.export(model, "distilbert.");
        state.put("vocab_transform.weight", Nd4j.rand(Nd4j.getRandomFactory().getNewRandomInstance(6), 16, 16).castTo(DataType.FLOAT));
        state.put("vocab_transform.bias", Nd4j.zeros(DataType.FLOAT, 16));
        state.put("vocab_layer_norm.weight", Nd4j.ones(DataType.FLOAT, 16));
        state.put("vocab_layer_norm.bias", Nd4j.zeros(DataType.FLOAT, 16));
        state.put("vocab_projector.bias", Nd4j.zeros(DataType.FLOAT, vocabSize));
        SafeTensors.write(dir.resolve("model.safetensors"), state);
        JSON.writeValue(dir.resolve("config.json").toFile(), config);
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"do_lower_case\": true, \"model_max_length\": 512}");
        return dir;
    }
}
