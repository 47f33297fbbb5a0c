package clip.data;

import clip.io.BadInputException;
import clip.model.HfModels;
import clip.model.ResNetConfig;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How an HF model folder wants its images: the vision tower's {@code image_size}, and the mean and
 * std of {@code preprocessor_config.json} when the folder has one, else the family's constants
 * (OpenAI CLIP's for CLIP vision towers, 0.5 for ViT, for a ResNet the {@code pretrained_cfg}
 * mean and std of timm's config.json or else torchvision's ImageNet ones). Images are resized to
 * the square, not cropped.
 */
public final class ModelImagePreprocessing {
    private ModelImagePreprocessing() {
    }

    /** @param visionModelType the vision tower's model_type (clip_vision_model or vit) */
    public static ImagePreprocessor of(Path modelDir, String visionModelType, int imageSize) {
        return of(modelDir, visionModelType, null, imageSize);
    }

    /**
     * @param visionConfig the vision tower's config (a dual encoder's {@code vision_config}), or
     *     null; a ResNet's is where timm keeps its mean and std
     */
    public static ImagePreprocessor of(Path modelDir, String visionModelType, JsonNode visionConfig, int imageSize) {
        double[][] family = familyMeanStd(visionModelType, visionConfig, modelDir + " vision_config");
        double[] mean = family[0];
        double[] std = family[1];
        Path file = modelDir.resolve("preprocessor_config.json");
        if (Files.isRegularFile(file)) {
            JsonNode c = HfModels.readJson(file);
            if (!c.path("do_normalize").asBoolean(true)) {
                mean = new double[] {0, 0, 0};
                std = new double[] {1, 1, 1};
            } else {
                mean = c.has("image_mean") ? triple(c.get("image_mean"), file, "image_mean") : mean;
                std = c.has("image_std") ? triple(c.get("image_std"), file, "image_std") : std;
            }
            int size = finalSize(c, file);
            if (size > 0 && size != imageSize) {
                throw new BadInputException(file + ": images of " + size + " pixels, but the model's vision tower takes "
                        + imageSize);
            }
        }
        return new ImagePreprocessor(imageSize, mean, std);
    }

    /**
     * {mean, std} a vision tower was trained with when no preprocessor_config.json says: CLIP's for
     * CLIP towers; for a ResNet, its config's {@code pretrained_cfg.mean/std} (timm's hub form) or
     * torchvision's ImageNet constants; 0.5 for ViT.
     */
    public static double[][] familyMeanStd(String visionModelType, JsonNode visionConfig, String source) {
        if (visionModelType.equals("clip_vision_model")) {
            return new double[][] {ImagePreprocessor.CLIP_MEAN, ImagePreprocessor.CLIP_STD};
        }
        if (visionConfig != null && ResNetConfig.describes(visionConfig)) {
            JsonNode timm = visionConfig.path("pretrained_cfg");
            return new double[][] {
                timm.has("mean") ? triple(timm.get("mean"), source, "pretrained_cfg.mean") : ImagePreprocessor.IMAGENET_MEAN,
                timm.has("std") ? triple(timm.get("std"), source, "pretrained_cfg.std") : ImagePreprocessor.IMAGENET_STD};
        }
        return new double[][] {ImagePreprocessor.HALF, ImagePreprocessor.HALF};
    }

    /** The side of the square HF's processor ends with (crop_size when it crops), or 0 when not stated as a square. */
    private static int finalSize(JsonNode c, Path file) {
        boolean crops = c.path("do_center_crop").asBoolean(c.has("crop_size"));
        JsonNode s = crops && c.has("crop_size") ? c.get("crop_size") : c.get("size");
        if (s == null || s.isNull()) {
            return 0;
        }
        if (s.isInt()) {
            return s.asInt();
        }
        if (s.has("height") && s.has("width")) {
            if (s.get("height").asInt() != s.get("width").asInt()) {
                throw new BadInputException(file + ": non-square image size " + s + " (this model takes squares)");
            }
            return s.get("height").asInt();
        }
        return 0;
    }

    private static double[] triple(JsonNode a, Object file, String key) {
        if (a.isNumber()) {
            return new double[] {a.asDouble(), a.asDouble(), a.asDouble()};
        }
        if (!a.isArray() || a.size() != 3 || !a.get(0).isNumber() || !a.get(1).isNumber() || !a.get(2).isNumber()) {
            throw new BadInputException(file + ": " + key + " must be three numbers (R, G, B), got " + a);
        }
        return new double[] {a.get(0).asDouble(), a.get(1).asDouble(), a.get(2).asDouble()};
    }
}
