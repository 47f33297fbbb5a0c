package clip.model;

import clip.io.BadInputException;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;

/**
 * A torchvision/timm ResNet's shape, from a config.json in either form: timm's hub form
 * ({@code "architecture": "resnet50"}: the standard depths and widths) or the explicit form
 * ({@code "architecture": "resnet"} with {@code block}, {@code layers} and {@code planes}).
 *
 * @param planes each stage's base width (the block's output is {@code planes * expansion})
 */
public record ResNetConfig(boolean bottleneck, int[] layers, int[] planes, double batchNormEps, double batchNormMomentum,
                           int imageSize) {
    private static final int[] STANDARD_PLANES = {64, 128, 256, 512};

    /** True when the config describes a ResNet (it has no HF {@code model_type}). */
    public static boolean describes(JsonNode c) {
        return !c.has("model_type") && c.path("architecture").asText("").startsWith("resnet");
    }

    public static ResNetConfig fromJson(JsonNode c, String source) {
        String arch = c.path("architecture").asText("");
        double eps = c.path("batch_norm_eps").asDouble(1e-5);
        double momentum = c.path("batch_norm_momentum").asDouble(0.1);
        int imageSize = imageSize(c);
        ResNetConfig config = switch (arch) {
            case "resnet" -> new ResNetConfig(block(c.path("block").asText(""), source), ints(c, "layers", source),
                    ints(c, "planes", source), eps, momentum, imageSize);
            case "resnet18" -> standard(false, new int[] {2, 2, 2, 2}, eps, momentum, imageSize);
            case "resnet34" -> standard(false, new int[] {3, 4, 6, 3}, eps, momentum, imageSize);
            case "resnet50" -> standard(true, new int[] {3, 4, 6, 3}, eps, momentum, imageSize);
            case "resnet101" -> standard(true, new int[] {3, 4, 23, 3}, eps, momentum, imageSize);
            case "resnet152" -> standard(true, new int[] {3, 8, 36, 3}, eps, momentum, imageSize);
            default -> throw new BadInputException(source + ": unsupported architecture '" + arch
                    + "' (supported: resnet18, resnet34, resnet50, resnet101, resnet152, or 'resnet' with block, layers, planes;"
                    + " variants with other stems such as resnet50d are not)");
        };
        if (config.layers.length != 4 || config.planes.length != 4 || Arrays.stream(config.layers).anyMatch(n -> n < 1)
                || Arrays.stream(config.planes).anyMatch(n -> n < 1)) {
            throw new BadInputException(source + ": 'layers' and 'planes' must each be 4 positive numbers, got "
                    + Arrays.toString(config.layers) + " and " + Arrays.toString(config.planes));
        }
        return config;
    }

    private static ResNetConfig standard(boolean bottleneck, int[] layers, double eps, double momentum, int imageSize) {
        return new ResNetConfig(bottleneck, layers, STANDARD_PLANES.clone(), eps, momentum, imageSize);
    }

    public int expansion() {
        return bottleneck ? 4 : 1;
    }

    /** The pooled feature's width. */
    public int features() {
        return planes[3] * expansion();
    }

    private static boolean block(String name, String source) {
        return switch (name) {
            case "basic" -> false;
            case "bottleneck" -> true;
            default -> throw new BadInputException(source + ": 'block' must be basic or bottleneck, got '" + name + "'");
        };
    }

    private static int imageSize(JsonNode c) {
        if (c.has("image_size")) {
            return c.get("image_size").asInt();
        }
        JsonNode input = c.path("pretrained_cfg").path("input_size");
        return input.isArray() && input.size() == 3 ? input.get(2).asInt() : 224;
    }

    private static int[] ints(JsonNode c, String key, String source) {
        JsonNode a = c.path(key);
        if (!a.isArray()) {
            throw new BadInputException(source + ": '" + key + "' must be a list of 4 numbers");
        }
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asInt();
        }
        return out;
    }
}
