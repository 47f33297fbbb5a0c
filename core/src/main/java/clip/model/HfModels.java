package clip.model;

import clip.layers.CudaCompatibility;
import clip.layers.Init;
import clip.layers.Module;
import clip.layers.Parameter;

import clip.io.BadInputException;
import clip.io.SafeTensors;
import clip.layers.Layer;
import clip.layers.Linear;
import clip.layers.MlpProjection;
import clip.layers.ResidualProjection;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Builds models from HF folders (config.json + model.safetensors): {@code bert}, {@code distilbert}, {@code vit},
 * {@code clip} and {@code vision-text-dual-encoder}, and ResNets from timm/torchvision folders
 * (a config.json with an {@code architecture}, no {@code model_type}).
 */
public final class HfModels {
    private static final ObjectMapper JSON = new ObjectMapper();

    private HfModels() {
    }

    public static HfModel load(Path dir, DataType dataType) {
        return load(dir, dataType, null);
    }

    /**
     * @param logitBias for SigLIP: the model gets a learned {@code logit_bias}, starting here
     *     unless the checkpoint has one; null for none
     */
    public static HfModel load(Path dir, DataType dataType, Double logitBias) {
        if (!Files.isDirectory(dir)) {
            throw new BadInputException(dir + ": no such model directory");
        }
        Path configFile = dir.resolve("config.json");
        JsonNode config = readJson(configFile);
        Path weights = dir.resolve("model.safetensors");
        if (!Files.isRegularFile(weights)) {
            throw new BadInputException(weights + ": no such file (only safetensors checkpoints are read)");
        }
        java.util.Map<String, INDArray> state = SafeTensors.read(weights);
        Init init = Init.forLoading(dataType);
        HfModel model = withoutPooler(config, state, weights)
                ? new HfModel("bert", new BertModel(TowerConfig.fromJson(config, configFile.toString()), false, init), config)
                : build(config, configFile.toString(), init, logitBias);
        StateDict.load(model.module(), state, weights.toString(), "", java.util.Set.of("logit_bias"));
        return model;
    }

    /**
     * A BERT saved without its pooling layer (sentence-transformers, {@code add_pooling_layer=False}):
     * transformers loads it with a warning; so does this, and the tower then pools at [CLS] without
     * the pooler it does not have. Every other weight stays required. (A dual encoder pools through
     * its text tower's pooler, so there the pooler stays required.)
     */
    private static boolean withoutPooler(JsonNode config, java.util.Map<String, INDArray> state, Path weights) {
        if (!config.path("model_type").asText("").equals("bert")
                || state.keySet().stream().anyMatch(k -> k.endsWith("pooler.dense.weight") || k.endsWith("pooler.dense.bias"))) {
            return false;
        }
        System.err.println("warning: " + weights + " has no pooler.dense.weight, pooler.dense.bias (saved without its pooling"
                + " layer): they are unused, the pooled output is the [CLS] hidden state");
        return true;
    }

    /** A model with fresh weights for {@code config} (HF's normal(0, std) initialisation). */
    public static HfModel build(JsonNode config, String source, Init init, Double logitBias) {
        CudaCompatibility.requireSupportedGpus();
        String type = ResNetConfig.describes(config) ? "resnet" : config.path("model_type").asText("");
        Module module = switch (type) {
            case "resnet" -> new ResNetModel(ResNetConfig.fromJson(config, source), init);
            case "bert" -> new BertModel(TowerConfig.fromJson(config, source), init);
            case "distilbert" -> new DistilBertModel(TowerConfig.fromJson(config, source),
                    config.path("sinusoidal_pos_embds").asBoolean(false), init);
            case "vit" -> new ViTModel(TowerConfig.fromJson(config, source), init);
            case "clip" -> clip(config, source, init, logitBias);
            case "vision-text-dual-encoder" -> dualEncoder(config, source, init, logitBias);
            default -> throw new BadInputException(source + ": unsupported model_type '" + type
                    + "' (supported: bert, distilbert, vit, clip, vision-text-dual-encoder, or a timm/torchvision resnet)");
        };
        return new HfModel(type, module, config);
    }

    private static Parameter bias(Init init, Double logitBias) {
        return logitBias == null ? null : init.constant(logitBias);
    }

    private static ContrastiveModel clip(JsonNode config, String source, Init init, Double logitBias) {
        TowerConfig textConfig = TowerConfig.fromJson(withType(config.path("text_config"), "clip_text_model"), source);
        TowerConfig visionConfig = TowerConfig.fromJson(withType(config.path("vision_config"), "clip_vision_model"), source);
        int projection = config.path("projection_dim").asInt(512);
        ClipTextModel text = new ClipTextModel(textConfig, init);
        ClipVisionModel vision = new ClipVisionModel(visionConfig, init);
        return new ContrastiveModel(ContrastiveModel.Layout.CLIP, vision, text,
                new Linear(visionConfig.hidden(), projection, false, init), new Linear(textConfig.hidden(), projection, false, init),
                init.constant(config.path("logit_scale_init_value").asDouble(2.6592)), bias(init, logitBias));
    }

    /**
     * HF's {@code VisionTextDualEncoderModel}, with any of the vision towers (vit, clip_vision_model,
     * or a timm/torchvision resnet config) and text towers (bert, distilbert). Keys HF does not
     * have: {@code projection} (linear, the default; mlp; residual), {@code projection_dropout}
     * (residual heads), {@code learn_logit_scale} (false: the temperature stays at its initial value).
     *
     * <p>Parts are created in the order fresh models always were (text tower, heads, scale, vision
     * tower), so a seed keeps giving the same initial weights.
     */
    private static ContrastiveModel dualEncoder(JsonNode config, String source, Init init, Double logitBias) {
        JsonNode visionJson = config.path("vision_config");
        JsonNode textJson = config.path("text_config");
        ResNetConfig resnet = ResNetConfig.describes(visionJson) ? ResNetConfig.fromJson(visionJson, source + " vision_config") : null;
        TowerConfig visionConfig = resnet == null ? TowerConfig.fromJson(visionJson, source + " vision_config") : null;
        if (visionConfig != null && !List.of("vit", "clip_vision_model").contains(visionConfig.modelType())) {
            throw new BadInputException(source + ": vision_config model_type '" + visionConfig.modelType()
                    + "' is not supported (vit, clip_vision_model, or a resnet architecture)");
        }
        TowerConfig textConfig = TowerConfig.fromJson(textJson, source + " text_config");
        Module text = switch (textConfig.modelType()) {
            case "bert" -> new BertModel(textConfig, init);
            case "distilbert" -> new DistilBertModel(textConfig, textJson.path("sinusoidal_pos_embds").asBoolean(false), init);
            default -> throw new BadInputException(source + ": text_config model_type '" + textConfig.modelType()
                    + "' is not supported (bert, distilbert)");
        };
        int dim = config.path("projection_dim").asInt(512);
        int v = resnet != null ? resnet.features() : visionConfig.hidden();
        int t = textConfig.hidden();
        double dropout = config.path("projection_dropout").asDouble(0.0);
        String kind = config.path("projection").asText("linear");
        Module[] heads = switch (kind) {
            case "linear" -> new Module[] {new Linear(v, dim, false, init), new Linear(t, dim, false, init)};
            case "mlp" -> new Module[] {new MlpProjection(v, v, dim, init), new MlpProjection(t, t, dim, init)};
            case "residual" -> new Module[] {new ResidualProjection(v, dim, dropout, 1, init),
                    new ResidualProjection(t, dim, dropout, 2, init)};
            default -> throw new BadInputException(source + ": projection '" + kind + "' is not one of linear, mlp, residual");
        };
        Parameter scale = init.constant(config.path("logit_scale_init_value").asDouble(2.6592));
        scale.setTrainable(config.path("learn_logit_scale").asBoolean(true));
        Module vision = resnet != null ? new ResNetModel(resnet, init)
                : visionConfig.modelType().equals("clip_vision_model") ? new ClipVisionModel(visionConfig, init)
                : new ViTModel(visionConfig, init);
        return assemble(vision, text, heads[0], heads[1], scale, bias(init, logitBias));
    }

    /** Every tower here is a Module and a Tower, every head a Module and a Layer: the casts only name that. */
    @SuppressWarnings("unchecked")
    private static <V extends Module & Tower<INDArray>, T extends Module & Tower<TextBatch>, P extends Module & Layer>
            ContrastiveModel assemble(Module vision, Module text, Module visualHead, Module textHead, Parameter scale,
                                      Parameter bias) {
        return new ContrastiveModel(ContrastiveModel.Layout.DUAL_ENCODER, (V) vision, (T) text, (P) visualHead, (P) textHead,
                scale, bias);
    }

    private static JsonNode withType(JsonNode tower, String type) {
        if (tower.has("model_type")) {
            return tower;
        }
        return ((com.fasterxml.jackson.databind.node.ObjectNode) tower.deepCopy()).put("model_type", type);
    }

    public static JsonNode readJson(Path file) {
        try {
            return JSON.readTree(Files.readAllBytes(file));
        } catch (java.nio.file.NoSuchFileException e) {
            throw new BadInputException(file + ": no such file");
        } catch (JsonProcessingException e) {
            throw new BadInputException(file + ": malformed JSON at line " + e.getLocation().getLineNr()
                    + ", column " + e.getLocation().getColumnNr() + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new BadInputException(file + ": " + e.getMessage());
        }
    }
}
