package clip.data.image;

import java.awt.image.BufferedImage;

/**
 * Applies an EXIF orientation to a B,G,R image so it stands as the camera meant, exactly as PIL's
 * ImageOps.exif_transpose does: 2 mirror, 3 rotate 180, 4 flip, 5 transpose, 6 rotate 90 clockwise, 7 transverse,
 * 8 rotate 90 counter-clockwise.
 */
final class Orientation {
    private Orientation() {
    }

    static BufferedImage apply(BufferedImage bgr, int orientation) {
        if (orientation < 2 || orientation > 8) {
            return bgr;
        }
        int w = bgr.getWidth();
        int h = bgr.getHeight();
        boolean swap = orientation >= 5;
        int outW = swap ? h : w;
        int outH = swap ? w : h;
        BufferedImage out = BgrImages.create(outW, outH);
        byte[] src = BgrImages.bytes(bgr);
        byte[] dst = BgrImages.bytes(out);
        int o = 0;
        for (int y = 0; y < outH; y++) {
            for (int x = 0; x < outW; x++, o += 3) {
                // (sx, sy): the stored pixel that lands at (x, y).
                int sx;
                int sy;
                switch (orientation) {
                    case 2 -> { sx = w - 1 - x; sy = y; }
                    case 3 -> { sx = w - 1 - x; sy = h - 1 - y; }
                    case 4 -> { sx = x; sy = h - 1 - y; }
                    case 5 -> { sx = y; sy = x; }
                    case 6 -> { sx = y; sy = h - 1 - x; }
                    case 7 -> { sx = w - 1 - y; sy = h - 1 - x; }
                    default -> { sx = w - 1 - y; sy = x; }
                }
                int s = (sy * w + sx) * 3;
                dst[o] = src[s];
                dst[o + 1] = src[s + 1];
                dst[o + 2] = src[s + 2];
            }
        }
        return out;
    }
}
