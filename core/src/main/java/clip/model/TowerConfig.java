package clip.model;

import clip.io.BadInputException;
import clip.layers.ActivationKind;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * The hyper-parameters of one transformer tower, read from an HF config.json (or its
 * {@code text_config}/{@code vision_config} block) with HF's defaults for absent keys.
 */
public record TowerConfig(String modelType, int hidden, int layers, int heads, int intermediate,
                          ActivationKind activation, double layerNormEps, int vocabSize, int maxPositions,
                          int typeVocabSize, int imageSize, int patchSize, int channels, boolean qkvBias) {

    public static TowerConfig fromJson(JsonNode c, String source) {
        String type = c.path("model_type").asText("");
        return switch (type) {
            case "bert" -> new TowerConfig(type, i(c, "hidden_size", 768), i(c, "num_hidden_layers", 12),
                    i(c, "num_attention_heads", 12), i(c, "intermediate_size", 3072),
                    ActivationKind.fromHf(c.path("hidden_act").asText("gelu")), d(c, "layer_norm_eps", 1e-12),
                    i(c, "vocab_size", 30522), i(c, "max_position_embeddings", 512), i(c, "type_vocab_size", 2),
                    0, 0, 0, true);
            case "vit" -> new TowerConfig(type, i(c, "hidden_size", 768), i(c, "num_hidden_layers", 12),
                    i(c, "num_attention_heads", 12), i(c, "intermediate_size", 3072),
                    ActivationKind.fromHf(c.path("hidden_act").asText("gelu")), d(c, "layer_norm_eps", 1e-12),
                    0, 0, 0, i(c, "image_size", 224), i(c, "patch_size", 16), i(c, "num_channels", 3),
                    c.path("qkv_bias").asBoolean(true));
            case "clip_text_model" -> new TowerConfig(type, i(c, "hidden_size", 512), i(c, "num_hidden_layers", 12),
                    i(c, "num_attention_heads", 8), i(c, "intermediate_size", 2048),
                    ActivationKind.fromHf(c.path("hidden_act").asText("quick_gelu")), d(c, "layer_norm_eps", 1e-5),
                    i(c, "vocab_size", 49408), i(c, "max_position_embeddings", 77), 0, 0, 0, 0, true);
            case "clip_vision_model" -> new TowerConfig(type, i(c, "hidden_size", 768), i(c, "num_hidden_layers", 12),
                    i(c, "num_attention_heads", 12), i(c, "intermediate_size", 3072),
                    ActivationKind.fromHf(c.path("hidden_act").asText("quick_gelu")), d(c, "layer_norm_eps", 1e-5),
                    0, 0, 0, i(c, "image_size", 224), i(c, "patch_size", 32), i(c, "num_channels", 3), true);
            // HF's DistilBERT fixes its LayerNorm epsilon at 1e-12 and has no token types
            case "distilbert" -> new TowerConfig(type, i(c, "dim", 768), i(c, "n_layers", 6), i(c, "n_heads", 12),
                    i(c, "hidden_dim", 3072), ActivationKind.fromHf(c.path("activation").asText("gelu")), 1e-12,
                    i(c, "vocab_size", 30522), i(c, "max_position_embeddings", 512), 0, 0, 0, 0, true);
            default -> throw new BadInputException(source + ": unsupported tower model_type '" + type
                    + "' (supported: bert, distilbert, vit, clip_text_model, clip_vision_model)");
        };
    }

    public int patchesPerSide() {
        return imageSize / patchSize;
    }

    private static int i(JsonNode c, String key, int def) {
        return c.has(key) && !c.get(key).isNull() ? c.get(key).asInt() : def;
    }

    private static double d(JsonNode c, String key, double def) {
        return c.has(key) && !c.get(key).isNull() ? c.get(key).asDouble() : def;
    }
}
