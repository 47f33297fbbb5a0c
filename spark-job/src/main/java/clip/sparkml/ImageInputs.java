package clip.sparkml;

import clip.data.ImagePipeline;
import clip.data.image.ImageDecodeException;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.IOException;
import java.io.InputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;

/** One image cell (bytes, image struct or path) to a model's pixels, as the model's image processor prepares them. */
final class ImageInputs {
    private ImageInputs() {
    }

    /** Writes 3 x size x size values at {@code offset}; an image that cannot be read is an {@link ImageDecodeException}. */
    static void toChw(InputKind kind, Object cell, ImagePipeline pipeline, Configuration conf, float[] out, int offset)
            throws ImageDecodeException, IOException {
        switch (kind) {
            case IMAGE_BYTES -> pipeline.toChw((byte[]) cell, out, offset);
            case IMAGE_PATH -> pipeline.toChw(read((String) cell, conf), out, offset);
            case IMAGE_STRUCT -> pipeline.toChw(bgr((Row) cell), out, offset);
            default -> throw new IllegalArgumentException(kind + " is not an image");
        }
    }

    private static byte[] read(String path, Configuration conf) throws IOException {
        Path file = new Path(path);
        try (InputStream in = file.getFileSystem(conf).open(file)) {
            return in.readAllBytes();
        }
    }

    /**
     * The {@code image} source's row (origin, height, width, nChannels, mode, data) as a B,G,R image. Its
     * data is B,G,R(,A) or gray bytes, row by row; alpha is dropped as PIL's convert("RGB") drops it.
     */
    static BufferedImage bgr(Row image) throws ImageDecodeException {
        int height = image.getInt(image.fieldIndex("height"));
        int width = image.getInt(image.fieldIndex("width"));
        int channels = image.getInt(image.fieldIndex("nChannels"));
        byte[] data = (byte[]) image.get(image.fieldIndex("data"));
        if (height <= 0 || width <= 0 || data == null || (channels != 1 && channels != 3 && channels != 4)
                || data.length != (long) height * width * channels) {
            throw new ImageDecodeException("the image source could not decode it (height " + height + ", width " + width
                    + ", " + channels + " channels)");
        }
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        byte[] dst = ((DataBufferByte) out.getRaster().getDataBuffer()).getData();
        for (int p = 0, s = 0, d = 0; p < width * height; p++, s += channels, d += 3) {
            dst[d] = data[s];
            dst[d + 1] = data[channels == 1 ? s : s + 1];
            dst[d + 2] = data[channels == 1 ? s : s + 2];
        }
        return out;
    }
}
