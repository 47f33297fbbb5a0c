package clip.data.image;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** The files under src/test/resources/images (written by make_fixtures.py there) and pixel comparisons. */
final class Fixtures {
    private Fixtures() {
    }

    static byte[] bytes(String name) {
        try (InputStream in = Fixtures.class.getResourceAsStream("/images/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test fixture images/" + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Row-major R,G,B bytes of an image. */
    static byte[] rgbBytes(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        byte[] out = new byte[w * h * 3];
        int[] row = new int[w];
        for (int y = 0, o = 0; y < h; y++) {
            image.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++) {
                out[o++] = (byte) (row[x] >> 16);
                out[o++] = (byte) (row[x] >> 8);
                out[o++] = (byte) row[x];
            }
        }
        return out;
    }

    /** Largest absolute difference between two equally long byte arrays read as unsigned. */
    static int maxAbsDiff(byte[] expected, byte[] actual) {
        if (expected.length != actual.length) {
            throw new AssertionError("sizes differ: " + expected.length + " vs " + actual.length);
        }
        int max = 0;
        for (int i = 0; i < expected.length; i++) {
            max = Math.max(max, Math.abs((expected[i] & 0xFF) - (actual[i] & 0xFF)));
        }
        return max;
    }

    static double meanAbsDiff(byte[] expected, byte[] actual) {
        long sum = 0;
        for (int i = 0; i < expected.length; i++) {
            sum += Math.abs((expected[i] & 0xFF) - (actual[i] & 0xFF));
        }
        return (double) sum / expected.length;
    }
}
