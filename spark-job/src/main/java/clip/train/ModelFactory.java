package clip.train;

import clip.data.ImagePreprocessor;
import clip.data.ModelImagePreprocessing;
import clip.data.SyntheticShapes;
import clip.io.BadInputException;
import clip.io.SafeTensors;
import clip.layers.Module;
import clip.model.ResNetConfig;
import clip.model.StateDict;
import com.fasterxml.jackson.databind.JsonNode;
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

/**
 * The model, its HF config, its tokenizer vocabulary and its image preprocessing, as the
 * configuration asks: an HF dual-encoder folder ({@code init = hf}), towers from their own folders
 * under fresh heads ({@code init = towers}), or towers and heads built from the configuration
 * ({@code init = scratch}: ViT or ResNet, BERT or DistilBERT; linear, mlp or residual heads; a
 * learned or fixed temperature). All three go through the same dual-encoder config.json, so what
 * training builds is what the exported folder describes.
 */
public final class ModelFactory {
    private ModelFactory() {
    }

    /** What training starts from; {@code pre}: how training (and the exported preprocessor_config.json) prepares images. */
    public record Built(ContrastiveModel model, ObjectNode hfConfig, Path vocab, ImagePreprocessor pre) {
    }

    public static Built build(TrainConfig c, Path workDir) throws IOException {
        TrainConfig.Model spec = c.model();
        Double bias = c.loss().kind() == TrainConfig.LossKind.SIGLIP ? c.loss().siglipBiasInit() : null;
        ContrastiveModel model;
        ObjectNode config;
        Path vocab;
        if (spec.init() == TrainConfig.ModelInit.HF) {
            vocab = checkHfStart(spec);
            HfModel loaded = HfModels.load(Path.of(spec.checkpoint()), DataType.FLOAT, bias);
            model = loaded.asContrastive();
            config = (ObjectNode) loaded.config();
        } else if (spec.init() == TrainConfig.ModelInit.TOWERS) {
            Path text = Path.of(spec.towers().textCheckpoint());
            vocab = checkTowersStart(spec);
            config = pretrainedTowersConfig(spec);
            model = HfModels.build(config, "config", new Init(c.train().seed(), DataType.FLOAT, spec.initStd()), bias)
                    .asContrastive();
            loadTower((Module) model.vision(), Path.of(spec.towers().visionCheckpoint()));
            loadTower((Module) model.text(), text);
        } else {
            vocab = spec.vocab().isBlank() ? writeSyntheticVocab(workDir) : Path.of(spec.vocab());
            config = scratchConfig(spec, BertTokenizer.fromVocab(vocab).vocabSize());
            model = HfModels.build(config, "config", new Init(c.train().seed(), DataType.FLOAT, spec.initStd()), bias)
                    .asContrastive();
        }
        if (bias != null) {
            model.logitScale().value().assign(c.loss().siglipScaleInit());
        }
        return new Built(model, config, vocab, preprocessing(spec, config));
    }

    /**
     * What pretrained tower folders must offer, checked from their files alone before anything is
     * written: a config.json of a supported tower each, weights, and a WordPiece vocabulary.
     *
     * @return the vocabulary training tokenizes with
     */
    static Path checkTowersStart(TrainConfig.Model spec) {
        pretrainedTowersConfig(spec);
        for (String key : List.of("vision-checkpoint", "text-checkpoint")) {
            Path dir = Path.of(key.startsWith("vision") ? spec.towers().visionCheckpoint() : spec.towers().textCheckpoint());
            if (!Files.isRegularFile(dir.resolve("model.safetensors"))) {
                throw new BadInputException("config key 'clip.model." + key + "': " + dir
                        + " has no model.safetensors (only safetensors checkpoints are read)");
            }
        }
        Path text = Path.of(spec.towers().textCheckpoint());
        Path vocab = spec.vocab().isBlank() ? text.resolve("vocab.txt") : Path.of(spec.vocab());
        if (!Files.isRegularFile(vocab)) {
            throw new BadInputException("config key 'clip.model.text-checkpoint': " + text + " has no vocab.txt; set clip.model.vocab");
        }
        return vocab;
    }

    /** The tower's weights from its own folder's model.safetensors (a timm ResNet's fc, a masked-LM head are left out). */
    private static void loadTower(Module tower, Path dir) {
        Path weights = dir.resolve("model.safetensors");
        StateDict.load(tower, SafeTensors.read(weights), weights.toString(), "");
    }

    /**
     * Training's image size, mean and std: the model folder's own for {@code init = hf} (its
     * preprocessor_config.json, else its vision tower family's), else what
     * {@code image-normalisation} names ({@code auto}: the vision tower family's, a timm folder's
     * {@code pretrained_cfg} included).
     */
    static ImagePreprocessor preprocessing(TrainConfig.Model spec, ObjectNode config) {
        JsonNode vision = config.path("vision_config");
        boolean resnet = ResNetConfig.describes(vision);
        int size = resnet ? ResNetConfig.fromJson(vision, "vision_config").imageSize()
                : vision.path("image_size").asInt(spec.imageSize());
        String type = config.path("model_type").asText().equals("clip") ? "clip_vision_model" : vision.path("model_type").asText("");
        if (spec.init() == TrainConfig.ModelInit.HF) {
            return ModelImagePreprocessing.of(Path.of(spec.checkpoint()), type, vision, size);
        }
        double[][] meanStd = switch (spec.imageNormalisation()) {
            case AUTO -> ModelImagePreprocessing.familyMeanStd(type, vision, "config key 'clip.model.vision-checkpoint'");
            case IMAGENET -> new double[][] {ImagePreprocessor.IMAGENET_MEAN, ImagePreprocessor.IMAGENET_STD};
            case CLIP -> new double[][] {ImagePreprocessor.CLIP_MEAN, ImagePreprocessor.CLIP_STD};
            case HALF -> new double[][] {ImagePreprocessor.HALF, ImagePreprocessor.HALF};
        };
        return new ImagePreprocessor(size, meanStd[0], meanStd[1]);
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

    /** A dual encoder's config.json for fresh towers of the configured kinds and sizes. */
    static ObjectNode scratchConfig(TrainConfig.Model c, int vocabSize) {
        ObjectNode config = dualEncoder(c);
        if (c.towers().vision() == TrainConfig.VisionTower.RESNET) {
            TrainConfig.ResNet r = c.towers().resnet();
            ObjectNode vision = config.putObject("vision_config").put("architecture", r.architecture());
            if (r.architecture().equals("resnet")) {
                vision.put("block", r.block());
                r.layers().forEach(vision.putArray("layers")::add);
                r.planes().forEach(vision.putArray("planes")::add);
            }
            vision.put("image_size", c.imageSize());
            ResNetConfig.fromJson(vision, "config key 'clip.model.resnet'"); // refuses a malformed shape before anything runs
        } else {
            config.putObject("vision_config").put("model_type", "vit").put("image_size", c.imageSize())
                    .put("patch_size", c.patchSize()).put("num_channels", 3).put("hidden_size", c.hiddenSize())
                    .put("num_hidden_layers", c.layers()).put("num_attention_heads", c.heads())
                    .put("intermediate_size", c.mlpRatio() * c.hiddenSize()).put("hidden_act", "gelu")
                    .put("layer_norm_eps", 1e-12).put("qkv_bias", true)
                    .put("hidden_dropout_prob", 0.0).put("attention_probs_dropout_prob", 0.0)
                    .put("initializer_range", c.initStd());
        }
        int positions = Math.max(64, c.maxTextLength());
        if (c.towers().text() == TrainConfig.TextTower.DISTILBERT) {
            config.putObject("text_config").put("model_type", "distilbert").put("vocab_size", vocabSize)
                    .put("dim", c.hiddenSize()).put("n_layers", c.layers()).put("n_heads", c.heads())
                    .put("hidden_dim", c.mlpRatio() * c.hiddenSize()).put("max_position_embeddings", positions)
                    .put("activation", "gelu").put("sinusoidal_pos_embds", false).put("dropout", 0.0)
                    .put("attention_dropout", 0.0).put("initializer_range", c.initStd());
        } else {
            config.putObject("text_config").put("model_type", "bert").put("vocab_size", vocabSize)
                    .put("hidden_size", c.hiddenSize()).put("num_hidden_layers", c.layers())
                    .put("num_attention_heads", c.heads()).put("intermediate_size", c.mlpRatio() * c.hiddenSize())
                    .put("max_position_embeddings", positions).put("type_vocab_size", 2)
                    .put("hidden_act", "gelu").put("layer_norm_eps", 1e-12)
                    .put("hidden_dropout_prob", 0.0).put("attention_probs_dropout_prob", 0.0)
                    .put("initializer_range", c.initStd());
        }
        return config;
    }

    /**
     * A dual encoder's config.json over the towers' own config.json files: a ResNet takes the
     * configured image size (it pools globally, so any size runs); a ViT keeps its own.
     */
    static ObjectNode pretrainedTowersConfig(TrainConfig.Model c) {
        Path visionDir = Path.of(c.towers().visionCheckpoint());
        Path textDir = Path.of(c.towers().textCheckpoint());
        ObjectNode vision = (ObjectNode) HfModels.readJson(visionDir.resolve("config.json")).deepCopy();
        ObjectNode text = (ObjectNode) HfModels.readJson(textDir.resolve("config.json")).deepCopy();
        if (ResNetConfig.describes(vision)) {
            vision.put("image_size", c.imageSize());
        } else if (!List.of("vit", "clip_vision_model").contains(vision.path("model_type").asText(""))) {
            throw new BadInputException("config key 'clip.model.vision-checkpoint': " + visionDir + " is not a ResNet (timm/torchvision"
                    + " config.json with an architecture) or an HF ViT folder");
        }
        if (!List.of("bert", "distilbert").contains(text.path("model_type").asText(""))) {
            throw new BadInputException("config key 'clip.model.text-checkpoint': " + textDir + " is a '"
                    + text.path("model_type").asText("") + "' model, not bert or distilbert");
        }
        ObjectNode config = dualEncoder(c);
        config.set("vision_config", vision);
        config.set("text_config", text);
        return config;
    }

    /** The dual encoder's own keys: projection width, heads and temperature. */
    private static ObjectNode dualEncoder(TrainConfig.Model c) {
        ObjectNode config = new ObjectMapper().createObjectNode().put("model_type", "vision-text-dual-encoder")
                .put("projection_dim", c.projectionDim()).put("logit_scale_init_value", c.logitScaleInit())
                .put("projection", TrainConfig.keyOf(c.headSpec().projection()))
                .put("projection_dropout", c.headSpec().dropout())
                .put("learn_logit_scale", c.headSpec().learnLogitScale());
        config.putArray("architectures").add("VisionTextDualEncoderModel");
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
