package clip.train;

import clip.data.SyntheticShapes;
import clip.io.BadInputException;
import clip.model.ContrastiveModel;
import clip.model.HfModel;
import clip.model.HfModels;
import clip.layers.Init;
import clip.tokenize.BertTokenizer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.nd4j.linalg.api.buffer.DataType;

/** The model, its HF config and its tokenizer vocabulary, as the configuration asks. */
public final class ModelFactory {
    private ModelFactory() {
    }

    /** What training starts from. */
    public record Built(ContrastiveModel model, ObjectNode hfConfig, Path vocab) {
    }

    public static Built build(TrainConfig c, Path workDir) throws IOException {
        TrainConfig.Model spec = c.model();
        Double bias = c.loss().kind() == TrainConfig.LossKind.SIGLIP ? c.loss().siglipBiasInit() : null;
        if (spec.init() == TrainConfig.ModelInit.HF) {
            Path vocab = checkHfStart(spec);
            HfModel loaded = HfModels.load(Path.of(spec.checkpoint()), DataType.FLOAT, bias);
            ContrastiveModel model = loaded.asContrastive();
            if (bias != null) {
                model.logitScale().value().assign(c.loss().siglipScaleInit());
            }
            return new Built(model, (ObjectNode) loaded.config(), vocab);
        }
        Path vocab = spec.vocab().isBlank() ? writeSyntheticVocab(workDir) : Path.of(spec.vocab());
        int vocabSize = BertTokenizer.fromVocab(vocab).vocabSize();
        ObjectNode config = scratchConfig(spec, vocabSize);
        ContrastiveModel model = HfModels.build(config, "config", new Init(c.train().seed(), DataType.FLOAT, spec.initStd()), bias)
                .asContrastive();
        if (bias != null) {
            model.logitScale().value().assign(c.loss().siglipScaleInit());
        }
        return new Built(model, config, vocab);
    }

    /**
     * What an HF starting point must offer, checked from its config.json and files alone so a run
     * can refuse it before writing anything: a vision-text dual encoder (training tokenizes with
     * BERT) and a WordPiece vocabulary.
     *
     * @return the vocabulary training tokenizes with
     */
    static Path checkHfStart(TrainConfig.Model spec) throws IOException {
        Path dir = Path.of(spec.checkpoint());
        Path config = dir.resolve("config.json");
        if (!Files.isRegularFile(config)) {
            throw new BadInputException("config key 'clip.model.checkpoint': " + dir + " has no config.json (not an HF model folder)");
        }
        String type = new ObjectMapper().readTree(config.toFile()).path("model_type").asText("");
        if (!type.equals("vision-text-dual-encoder")) {
            throw new BadInputException(dir + ": training reads BERT-tokenized text, so it needs a "
                    + "vision-text-dual-encoder checkpoint (got " + type + ")");
        }
        Path vocab = !spec.vocab().isBlank() ? Path.of(spec.vocab()) : dir.resolve("vocab.txt");
        if (!Files.isRegularFile(vocab)) {
            throw new BadInputException(dir + " has no vocab.txt; set clip.model.vocab");
        }
        return vocab;
    }

    static ObjectNode scratchConfig(TrainConfig.Model c, int vocabSize) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = json.createObjectNode().put("model_type", "vision-text-dual-encoder")
                .put("projection_dim", c.projectionDim()).put("logit_scale_init_value", c.logitScaleInit());
        config.putArray("architectures").add("VisionTextDualEncoderModel");
        config.putObject("vision_config").put("model_type", "vit").put("image_size", c.imageSize())
                .put("patch_size", c.patchSize()).put("num_channels", 3).put("hidden_size", c.hiddenSize())
                .put("num_hidden_layers", c.layers()).put("num_attention_heads", c.heads())
                .put("intermediate_size", c.mlpRatio() * c.hiddenSize()).put("hidden_act", "gelu")
                .put("layer_norm_eps", 1e-12).put("qkv_bias", true)
                .put("hidden_dropout_prob", 0.0).put("attention_probs_dropout_prob", 0.0)
                .put("initializer_range", c.initStd());
        config.putObject("text_config").put("model_type", "bert").put("vocab_size", vocabSize)
                .put("hidden_size", c.hiddenSize()).put("num_hidden_layers", c.layers())
                .put("num_attention_heads", c.heads()).put("intermediate_size", c.mlpRatio() * c.hiddenSize())
                .put("max_position_embeddings", Math.max(64, c.maxTextLength())).put("type_vocab_size", 2)
                .put("hidden_act", "gelu").put("layer_norm_eps", 1e-12)
                .put("hidden_dropout_prob", 0.0).put("attention_probs_dropout_prob", 0.0)
                .put("initializer_range", c.initStd());
        return config;
    }

    /**
     * The special tokens, then every word of the generated captions, as a WordPiece vocab.txt.
     * Every worker of a run writes the same file: each writes its own copy and renames it into
     * place, so none reads half of one. The copy is not made with {@code createTempFile}: that one
     * is private to its owner (0600), and the mode travels with the rename and the export's copy.
     */
    static Path writeSyntheticVocab(Path dir) throws IOException {
        List<String> lines = new ArrayList<>(BertTokenizer.SPECIAL);
        lines.addAll(SyntheticShapes.words());
        Files.createDirectories(dir);
        Path vocab = dir.resolve("vocab.txt");
        Path mine = dir.resolve("vocab." + UUID.randomUUID() + ".tmp");
        try {
            Files.write(mine, lines, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw clip.io.WriteFailure.naming(mine, e);
        }
        Files.move(mine, vocab, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return vocab;
    }
}
