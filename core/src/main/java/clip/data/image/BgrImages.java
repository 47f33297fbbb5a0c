package clip.data.image;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;

/**
 * The one pixel layout the image package passes around: {@link BufferedImage#TYPE_3BYTE_BGR}, whose backing array
 * is plain B,G,R bytes, so the resampler and the colour conversion can work on arrays, and the JDK's JPEG writer
 * takes it without a per-pixel conversion.
 */
final class BgrImages {
    /** 8-bit sRGB with the bands in memory order R,G,B: the layout the JDK's JPEG codec copies line by line. */
    static final ColorModel RGB_IN_ORDER = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB),
            new int[] {8, 8, 8}, false, false, Transparency.OPAQUE, DataBuffer.TYPE_BYTE);

    private BgrImages() {
    }

    /** An image over {@code bytes} holding R,G,B in that memory order (a TYPE_CUSTOM image). */
    static BufferedImage rgbInOrder(DataBufferByte bytes, int width, int height) {
        WritableRaster raster = Raster.createInterleavedRaster(bytes, width, height, width * 3, 3,
                new int[] {0, 1, 2}, null);
        return new BufferedImage(RGB_IN_ORDER, raster, false, null);
    }

    static BufferedImage create(int width, int height) {
        return new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
    }

    /** The backing B,G,R array of a TYPE_3BYTE_BGR image made by {@link #create} (or any with the default layout). */
    static byte[] bytes(BufferedImage bgr) {
        return ((DataBufferByte) bgr.getRaster().getDataBuffer()).getData();
    }

    static boolean isPlainBgr(BufferedImage image) {
        return image.getType() == BufferedImage.TYPE_3BYTE_BGR
                && image.getRaster().getParent() == null
                && image.getRaster().getSampleModelTranslateX() == 0
                && image.getRaster().getSampleModelTranslateY() == 0
                && image.getRaster().getDataBuffer().getNumBanks() == 1
                && image.getRaster().getDataBuffer().getOffset() == 0
                && bytes(image).length == image.getWidth() * image.getHeight() * 3;
    }

    /**
     * Any image as TYPE_3BYTE_BGR with alpha dropped, the way PIL's convert("RGB") drops it (no compositing: the
     * colour under a transparent pixel is kept). Returns {@code image} itself when it already has the layout.
     * Gray images are widened sample by sample: Java2D's getRGB would run them through a linear-to-sRGB curve,
     * which PIL's L -> RGB does not.
     */
    static BufferedImage toBgr(BufferedImage image) {
        if (isPlainBgr(image)) {
            return image;
        }
        int w = image.getWidth();
        int h = image.getHeight();
        BufferedImage out = create(w, h);
        byte[] dst = bytes(out);
        if (image.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_GRAY
                && !(image.getColorModel() instanceof java.awt.image.IndexColorModel)) {
            Raster raster = image.getRaster();
            int bits = image.getColorModel().getComponentSize(0);
            int max = (1 << bits) - 1;
            int[] row = new int[w];
            for (int y = 0, o = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++, o += 3) {
                    // 16-bit gray keeps its top byte; 1/2/4-bit gray is stretched to 0..255.
                    int v = bits == 8 ? row[x] : bits > 8 ? row[x] >> (bits - 8) : row[x] * 255 / max;
                    dst[o] = dst[o + 1] = dst[o + 2] = (byte) v;
                }
            }
            return out;
        }
        int[] row = new int[w];
        for (int y = 0, o = 0; y < h; y++) {
            image.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++, o += 3) {
                int p = row[x];
                dst[o] = (byte) p;
                dst[o + 1] = (byte) (p >> 8);
                dst[o + 2] = (byte) (p >> 16);
            }
        }
        return out;
    }
}
