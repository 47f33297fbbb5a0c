package clip.data;

import clip.data.image.ImageResizer;
import java.awt.image.BufferedImage;

/**
 * An image to the model's input: resized to a square of {@code size} pixels and normalised
 * per channel, laid out CHW as float values.
 */
public final class ImagePreprocessor {
    /** CLIP's normalisation constants. */
    public static final double[] CLIP_MEAN = {0.48145466, 0.4578275, 0.40821073};
    public static final double[] CLIP_STD = {0.26862954, 0.26130258, 0.27577711};
    /** torchvision's ImageNet constants, which its and timm's ResNets were trained with. */
    public static final double[] IMAGENET_MEAN = {0.485, 0.456, 0.406};
    public static final double[] IMAGENET_STD = {0.229, 0.224, 0.225};
    /** The ViT (google/vit-*) processors' constants. */
    public static final double[] HALF = {0.5, 0.5, 0.5};

    private final int size;
    private final double[] mean;
    private final double[] std;

    public ImagePreprocessor(int size, double[] mean, double[] std) {
        this.size = size;
        this.mean = mean;
        this.std = std;
    }

    public int size() {
        return size;
    }

    /** The per-channel mean subtracted (R, G, B). */
    public double[] mean() {
        return mean.clone();
    }

    /** The per-channel std divided by (R, G, B). */
    public double[] std() {
        return std.clone();
    }

    /** Writes 3 * size * size values at {@code offset} of {@code out}; other sizes are resized to the square (PIL's bicubic). */
    public void toChw(BufferedImage image, float[] out, int offset) {
        BufferedImage src = image.getWidth() == size && image.getHeight() == size ? image : ImageResizer.resize(image, size, size);
        int plane = size * size;
        int[] rgb = src.getRGB(0, 0, size, size, null, 0, size);
        for (int i = 0; i < plane; i++) {
            int p = rgb[i];
            out[offset + i] = (float) ((((p >> 16) & 0xff) / 255.0 - mean[0]) / std[0]);
            out[offset + plane + i] = (float) ((((p >> 8) & 0xff) / 255.0 - mean[1]) / std[1]);
            out[offset + 2 * plane + i] = (float) (((p & 0xff) / 255.0 - mean[2]) / std[2]);
        }
    }
}
