package clip.plot;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Where a ViT looked: a patch-grid map (e.g. an attention rollout, values in [0, 1]) upsampled
 * bilinearly to the image's size and blended over it in {@link Viridis} colours; the picture
 * keeps the image's size.
 */
public final class AttentionOverlay {
    private final double alpha;

    /** @param alpha weight of the heat map against the image, in [0, 1] */
    public AttentionOverlay(double alpha) {
        if (!(alpha >= 0 && alpha <= 1)) {
            throw new IllegalArgumentException("alpha must be in [0, 1], got " + alpha);
        }
        this.alpha = alpha;
    }

    /** @param map [gridHeight][gridWidth] in [0, 1], row-major over the image as the patches are */
    public BufferedImage draw(BufferedImage image, double[][] map) {
        int width = image.getWidth();
        int height = image.getHeight();
        double[][] heat = upsample(map, width, height);
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int p = image.getRGB(x, y);
                int h = Viridis.rgb(heat[y][x]);
                int rgb = 0;
                for (int shift = 16; shift >= 0; shift -= 8) {
                    double v = (1 - alpha) * ((p >> shift) & 0xff) + alpha * ((h >> shift) & 0xff);
                    rgb |= (int) Math.round(v) << shift;
                }
                out.setRGB(x, y, rgb);
            }
        }
        return out;
    }

    public Path write(BufferedImage image, double[][] map, Path png) throws IOException {
        return Drawing.writePng(draw(image, map), png);
    }

    /**
     * Bilinear resize of a grid to [height][width]. Cells and pixels are aligned by their centres
     * (a cell's value sits at its centre); beyond the outer centres the edge value holds.
     */
    public static double[][] upsample(double[][] map, int width, int height) {
        int gh = map.length;
        int gw = map[0].length;
        double[][] out = new double[height][width];
        for (int y = 0; y < height; y++) {
            double v = clamp((y + 0.5) * gh / height - 0.5, gh - 1);
            int r0 = (int) v;
            int r1 = Math.min(r0 + 1, gh - 1);
            double fy = v - r0;
            for (int x = 0; x < width; x++) {
                double u = clamp((x + 0.5) * gw / width - 0.5, gw - 1);
                int c0 = (int) u;
                int c1 = Math.min(c0 + 1, gw - 1);
                double fx = u - c0;
                double top = map[r0][c0] + fx * (map[r0][c1] - map[r0][c0]);
                double bottom = map[r1][c0] + fx * (map[r1][c1] - map[r1][c0]);
                out[y][x] = top + fy * (bottom - top);
            }
        }
        return out;
    }

    private static double clamp(double x, int max) {
        return Math.max(0, Math.min(max, x));
    }
}
