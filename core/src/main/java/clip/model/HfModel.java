package clip.model;

import clip.layers.Module;

import com.fasterxml.jackson.databind.JsonNode;

/** A model read from an HF folder: its {@code model_type}, the module, and its config.json. */
public record HfModel(String modelType, Module module, JsonNode config) {
    public ContrastiveModel asContrastive() {
        if (!(module instanceof ContrastiveModel m)) {
            throw new clip.io.BadInputException("model_type '" + modelType + "' is a single tower, not an image-text model");
        }
        return m;
    }
}
