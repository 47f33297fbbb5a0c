package clip.data;

import clip.data.image.ImageDecodeException;
import clip.data.image.ImageDecoder;
import clip.data.image.ImageResizer;
import clip.model.HfModel;
import clip.model.ResNetConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Image bytes to a model's pixel input, the way its HF image processor prepares them: CLIP's
 * resizes the shorter side and crops the centre; ViT's resizes to the square directly. Mean,
 * std and size come from {@code preprocessor_config.json} when the folder has one, else from the
 * model type's defaults (see {@link ModelImagePreprocessing}). Resampling is PIL's bicubic for both.
 */
public final class ImagePipeline {
    private final ImagePreprocessor normalise;
    private final boolean centerCrop;
    private final ImageDecoder decoder = new ImageDecoder();

    public ImagePipeline(int size, double[] mean, double[] std, boolean centerCrop) {
        this(new ImagePreprocessor(size, mean, std), centerCrop);
    }

    private ImagePipeline(ImagePreprocessor normalise, boolean centerCrop) {
        this.normalise = normalise;
        this.centerCrop = centerCrop;
    }

    /** Size, mean and std as {@link ModelImagePreprocessing} reads them; centre crop for CLIP towers or when the processor config says so. */
    public static ImagePipeline forModel(Path dir, HfModel model) throws IOException {
        boolean clipModel = model.modelType().equals("clip");
        JsonNode vision = model.config().path("vision_config");
        String visionType = clipModel ? "clip_vision_model" : vision.path("model_type").asText();
        boolean crop = visionType.equals("clip_vision_model");
        Path processor = dir.resolve("preprocessor_config.json");
        if (Files.isRegularFile(processor)) {
            crop = new ObjectMapper().readTree(processor.toFile()).path("do_center_crop").asBoolean(crop);
        }
        int size = ResNetConfig.describes(vision) ? ResNetConfig.fromJson(vision, dir + " vision_config").imageSize()
                : vision.path("image_size").asInt(224);
        return new ImagePipeline(ModelImagePreprocessing.of(dir, visionType, vision, size), crop);
    }

    public int size() {
        return normalise.size();
    }

    /** Writes 3 x size x size normalised values at {@code offset}. */
    public void toChw(byte[] imageFile, float[] out, int offset) throws ImageDecodeException {
        toChw(decoder.decode(imageFile).rgb(), out, offset);
    }

    /** As {@link #toChw(byte[], float[], int)} for an image decoded elsewhere (Spark's {@code image} data source). */
    public void toChw(BufferedImage rgb, float[] out, int offset) {
        int size = normalise.size();
        if (!centerCrop) {
            normalise.toChw(ImageResizer.resize(rgb, size, size), out, offset);
            return;
        }
        BufferedImage resized = ImageResizer.shorterSide(rgb, size);
        normalise.toChw(resized.getSubimage((resized.getWidth() - size) / 2, (resized.getHeight() - size) / 2, size, size),
                out, offset);
    }

    /**
     * Training's augmentation: the shorter side resized to the model's size and a square cut at a
     * place drawn from {@code random}, so each epoch sees other parts of non-square images.
     */
    public void toChwRandomCrop(byte[] imageFile, float[] out, int offset, SplittableRandom random) throws ImageDecodeException {
        BufferedImage resized = ImageResizer.shorterSide(decoder.decode(imageFile).rgb(), normalise.size());
        int size = normalise.size();
        int x = random.nextInt(resized.getWidth() - size + 1);
        int y = random.nextInt(resized.getHeight() - size + 1);
        normalise.toChw(resized.getSubimage(x, y, size, size), out, offset);
    }
}
