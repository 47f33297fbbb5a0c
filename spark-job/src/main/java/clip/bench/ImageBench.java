package clip.bench;

import clip.data.image.DecodedImage;
import clip.data.image.ImageDecodeException;
import clip.data.image.ImageDecoder;
import clip.data.image.ImageResizer;
import clip.data.image.JpegEncoder;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Decode, resize and re-encode throughput on one thread, the work of a data-prep task per image,
 * over photo-like JPEGs of COCO's typical size (gradients, shapes and sensor-like noise, so the
 * entropy decoder works as hard as on a photo; a flat image would flatter the decoder).
 */
public final class ImageBench {
    /** Images per second for each stage. */
    public record Result(int images, double decode, double decodeResize, double decodeResizeEncode) {
    }

    private final int shorterSide;
    private final int quality;

    public ImageBench(int shorterSide, int quality) {
        this.shorterSide = shorterSide;
        this.quality = quality;
    }

    /** Writes {@code count} width x height JPEGs at this bench's quality into {@code dir}, the same for the same seed. */
    public void writeImages(Path dir, int count, int width, int height, long seed) throws IOException {
        Files.createDirectories(dir);
        JpegEncoder encoder = new JpegEncoder(quality / 100f);
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < count; i++) {
            Files.write(dir.resolve(String.format("%05d.jpg", i)), encoder.encode(photoLike(width, height, r)));
        }
    }

    public Result run(Path dir) throws IOException, ImageDecodeException {
        List<byte[]> blobs = new ArrayList<>();
        try (var files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".jpg")).sorted().toList()) {
                blobs.add(Files.readAllBytes(f));
            }
        }
        stage(blobs, 2);
        return new Result(blobs.size(), stage(blobs, 0), stage(blobs, 1), stage(blobs, 2));
    }

    private double stage(List<byte[]> blobs, int stages) throws ImageDecodeException {
        ImageDecoder decoder = new ImageDecoder();
        JpegEncoder encoder = new JpegEncoder(quality / 100f);
        long start = System.nanoTime();
        for (byte[] b : blobs) {
            DecodedImage image = decoder.decode(b);
            BufferedImage out = image.rgb();
            if (stages >= 1) {
                out = ImageResizer.shorterSide(out, shorterSide);
            }
            if (stages >= 2) {
                encoder.encode(out);
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return blobs.size() / seconds;
    }

    private static BufferedImage photoLike(int w, int h, SplittableRandom r) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        int cx = r.nextInt(w);
        int cy = r.nextInt(h);
        int radius = h / 4 + r.nextInt(h / 4);
        int tint = r.nextInt(256);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                boolean inside = (x - cx) * (x - cx) + (y - cy) * (y - cy) < radius * radius;
                int red = inside ? 200 : x * 255 / w;
                int green = inside ? 60 : y * 255 / h;
                int blue = (tint + (x + y) / 8) & 0xff;
                img.setRGB(x, y, noisy(red, r) << 16 | noisy(green, r) << 8 | noisy(blue, r));
            }
        }
        return img;
    }

    private static int noisy(int v, SplittableRandom r) {
        return Math.max(0, Math.min(255, v + r.nextInt(25) - 12));
    }
}
