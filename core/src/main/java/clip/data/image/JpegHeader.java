package clip.data.image;

/**
 * What a JPEG's markers say, found by walking its segments from SOI to EOI without decoding pixels: the colour
 * space of the stored components (decided by libjpeg's own rules, which PIL relies on), the EXIF orientation, and
 * whether the file is complete. The walk is what catches truncation: libjpeg (in ImageIO) fills a missing bottom
 * with grey and only warns, while PIL refuses the file; a complete file reaches its EOI marker.
 */
final class JpegHeader {
    /** How the stored components turn into RGB. */
    enum ColorSpace { GRAY, YCBCR, RGB, CMYK, YCCK }

    final int width;
    final int height;
    final ColorSpace colorSpace;
    final int orientation;
    /**
     * JFIF YCbCr without an Adobe segment: the case in which the JDK's reader provably takes the components for
     * YCbCr as libjpeg's own rules do (its extra guessing only applies without JFIF, or with Adobe), so its RGB
     * output can be trusted to be PIL's.
     */
    final boolean plainJfif;

    private JpegHeader(int width, int height, ColorSpace colorSpace, int orientation, boolean plainJfif) {
        this.width = width;
        this.height = height;
        this.colorSpace = colorSpace;
        this.orientation = orientation;
        this.plainJfif = plainJfif;
    }

    static JpegHeader parse(byte[] b) throws ImageDecodeException {
        int n = b.length;
        int pos = 2; // after SOI
        int width = 0;
        int height = 0;
        int[] componentIds = null;
        boolean jfif = false;
        int adobeTransform = -1;
        int orientation = 0;
        while (true) {
            if (pos >= n) {
                throw truncated();
            }
            if (b[pos] != (byte) 0xFF) {
                throw new ImageDecodeException("corrupt JPEG (no marker at byte " + pos + ")");
            }
            while (pos < n && b[pos] == (byte) 0xFF) { // fill bytes may precede any marker
                pos++;
            }
            if (pos >= n) {
                throw truncated();
            }
            int marker = b[pos++] & 0xFF;
            if (marker == 0xD9) { // EOI
                break;
            }
            if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) { // TEM, RSTn: no length field
                continue;
            }
            if (pos + 2 > n) {
                throw truncated();
            }
            int length = (b[pos] & 0xFF) << 8 | (b[pos + 1] & 0xFF);
            if (length < 2) {
                throw new ImageDecodeException("corrupt JPEG (segment length " + length + " at byte " + pos + ")");
            }
            if (pos + length > n) {
                throw truncated();
            }
            int seg = pos + 2;
            int segLen = length - 2;
            pos += length;
            if (marker == 0xE0 && startsWith(b, seg, segLen, "JFIF\0")) {
                jfif = true;
            } else if (marker == 0xE1 && orientation == 0 && startsWith(b, seg, segLen, "Exif\0\0")) {
                orientation = ExifOrientation.read(b, seg + 6, segLen - 6); // the first Exif block counts, as in PIL
            } else if (marker == 0xEE && segLen >= 12 && startsWith(b, seg, segLen, "Adobe")) {
                adobeTransform = b[seg + 11] & 0xFF;
            } else if (isStartOfFrame(marker) && componentIds == null) {
                if (segLen < 6) {
                    throw new ImageDecodeException("corrupt JPEG (short frame header)");
                }
                height = (b[seg + 1] & 0xFF) << 8 | (b[seg + 2] & 0xFF);
                width = (b[seg + 3] & 0xFF) << 8 | (b[seg + 4] & 0xFF);
                int count = b[seg + 5] & 0xFF;
                if (segLen < 6 + 3 * count) {
                    throw new ImageDecodeException("corrupt JPEG (short frame header)");
                }
                componentIds = new int[count];
                for (int c = 0; c < count; c++) {
                    componentIds[c] = b[seg + 6 + 3 * c] & 0xFF;
                }
            } else if (marker == 0xDA) {
                pos = skipEntropyCodedData(b, pos);
            }
        }
        if (componentIds == null) {
            throw new ImageDecodeException("corrupt JPEG (no frame header)");
        }
        if (width == 0 || height == 0) {
            throw new ImageDecodeException("corrupt JPEG (image size " + width + "x" + height + ")");
        }
        ColorSpace cs = colorSpace(componentIds, jfif, adobeTransform);
        return new JpegHeader(width, height, cs, orientation == 0 ? 1 : orientation,
                cs == ColorSpace.YCBCR && jfif && adobeTransform < 0);
    }

    /** libjpeg's default_decompress_parms, which PIL (through libjpeg-turbo) follows. */
    private static ColorSpace colorSpace(int[] ids, boolean jfif, int adobeTransform) throws ImageDecodeException {
        switch (ids.length) {
            case 1:
                return ColorSpace.GRAY;
            case 3:
                if (jfif) {
                    return ColorSpace.YCBCR;
                }
                if (adobeTransform >= 0) {
                    return adobeTransform == 0 ? ColorSpace.RGB : ColorSpace.YCBCR;
                }
                return ids[0] == 'R' && ids[1] == 'G' && ids[2] == 'B' ? ColorSpace.RGB : ColorSpace.YCBCR;
            case 4:
                return adobeTransform > 0 ? ColorSpace.YCCK : ColorSpace.CMYK;
            default:
                throw new ImageDecodeException("unsupported JPEG (" + ids.length + " colour components)");
        }
    }

    /** SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC), which share the range. */
    private static boolean isStartOfFrame(int marker) {
        return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    }

    /**
     * Past a scan's entropy-coded bytes to the next marker. Inside them 0xFF is always followed by a stuffed 0x00
     * or a restart marker, so the first other 0xFFxx is the marker that ends the scan.
     */
    private static int skipEntropyCodedData(byte[] b, int pos) throws ImageDecodeException {
        int n = b.length;
        while (true) {
            while (pos < n && b[pos] != (byte) 0xFF) {
                pos++;
            }
            if (pos + 1 >= n) {
                throw truncated();
            }
            int next = b[pos + 1] & 0xFF;
            if (next == 0x00 || (next >= 0xD0 && next <= 0xD7)) {
                pos += 2;
            } else {
                return pos;
            }
        }
    }

    private static boolean startsWith(byte[] b, int at, int len, String prefix) {
        if (len < prefix.length()) {
            return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
            if (b[at + i] != (byte) prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static ImageDecodeException truncated() {
        return new ImageDecodeException("truncated JPEG (premature end of data)");
    }
}
