package clip.data.image;

/**
 * The Orientation tag (0x0112) of an Exif block's first IFD: the only Exif field the pipeline needs, so a few bounds-
 * checked reads instead of a metadata library. A damaged or odd block means "not rotated", as PIL's exif_transpose
 * does nothing for orientations outside 2..8.
 */
final class ExifOrientation {
    private static final int TAG_ORIENTATION = 0x0112;
    private static final int TYPE_SHORT = 3;
    private static final int TYPE_LONG = 4;

    private ExifOrientation() {
    }

    /** {@code tiff} holds a TIFF structure (byte order mark, 42, IFD0 offset) at {@code off}, {@code len} bytes. */
    static int read(byte[] tiff, int off, int len) {
        if (len < 8) {
            return 1;
        }
        boolean little;
        if (tiff[off] == 'I' && tiff[off + 1] == 'I') {
            little = true;
        } else if (tiff[off] == 'M' && tiff[off + 1] == 'M') {
            little = false;
        } else {
            return 1;
        }
        if (u16(tiff, off + 2, little) != 42) {
            return 1;
        }
        long ifd = u32(tiff, off + 4, little);
        if (ifd < 8 || ifd + 2 > len) {
            return 1;
        }
        int entries = u16(tiff, off + (int) ifd, little);
        for (int i = 0; i < entries; i++) {
            int e = (int) ifd + 2 + 12 * i;
            if (e + 12 > len) {
                return 1;
            }
            if (u16(tiff, off + e, little) == TAG_ORIENTATION) {
                int type = u16(tiff, off + e + 2, little);
                long value = type == TYPE_SHORT ? u16(tiff, off + e + 8, little)
                        : type == TYPE_LONG ? u32(tiff, off + e + 8, little) : 1;
                return value >= 1 && value <= 8 ? (int) value : 1;
            }
        }
        return 1;
    }

    private static int u16(byte[] b, int at, boolean little) {
        int b0 = b[at] & 0xFF;
        int b1 = b[at + 1] & 0xFF;
        return little ? b0 | b1 << 8 : b0 << 8 | b1;
    }

    private static long u32(byte[] b, int at, boolean little) {
        long lo = u16(b, at + (little ? 0 : 2), little);
        long hi = u16(b, at + (little ? 2 : 0), little);
        return hi << 16 | lo;
    }
}
