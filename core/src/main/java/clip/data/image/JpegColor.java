package clip.data.image;

/**
 * A JPEG's stored components, as libjpeg hands them over before any colour conversion, to B,G,R bytes. The YCbCr and
 * YCCK arithmetic is libjpeg's own fixed-point (jdcolor.c), and CMYK is turned into RGB the way PIL does it (Adobe's
 * inverted storage, then R = (255-C)(255-K)/255 in PIL's rounding), so with the same decoded components the result
 * is PIL's to the bit.
 *
 * <p>Used for every JPEG but plain JFIF YCbCr (which libjpeg converts itself, see ImageDecoder). Why not ImageIO's
 * conversion for these: it cannot turn CMYK/YCCK into RGB at all in Java 17, and without JFIF it guesses the colour
 * space by rules of its own that can differ from libjpeg's (and so PIL's). Why not TwelveMonkeys imageio-jpeg: it
 * converts CMYK through ICC profiles, so its colours would differ from PIL's naive formula, and it still decodes
 * through the JDK's libjpeg; the few lines below are all this project needs of it, with no dependency.
 */
final class JpegColor {
    private static final int SCALEBITS = 16;
    private static final int ONE_HALF = 1 << (SCALEBITS - 1);
    // Immutable after class initialisation: libjpeg's build_ycc_rgb_table.
    private static final int[] CR_R = new int[256];
    private static final int[] CB_B = new int[256];
    private static final int[] CR_G = new int[256];
    private static final int[] CB_G = new int[256];

    static {
        for (int i = 0; i < 256; i++) {
            int x = i - 128;
            CR_R[i] = (fix(1.40200) * x + ONE_HALF) >> SCALEBITS;
            CB_B[i] = (fix(1.77200) * x + ONE_HALF) >> SCALEBITS;
            CR_G[i] = -fix(0.71414) * x;
            CB_G[i] = -fix(0.34414) * x + ONE_HALF;
        }
    }

    private JpegColor() {
    }

    /**
     * Converts {@code pixels} pixels of {@code bands} interleaved components from {@code src} (starting at
     * {@code srcOff}, rows of {@code srcStride} bytes, {@code width} pixels each) into packed B,G,R {@code dst}.
     */
    static void toBgr(JpegHeader.ColorSpace cs, byte[] src, int srcOff, int srcStride, int width, int height,
                      byte[] dst) {
        int o = 0;
        for (int y = 0; y < height; y++) {
            int s = srcOff + y * srcStride;
            switch (cs) {
                case GRAY -> {
                    for (int x = 0; x < width; x++, o += 3) {
                        byte v = src[s + x];
                        dst[o] = v;
                        dst[o + 1] = v;
                        dst[o + 2] = v;
                    }
                }
                case RGB -> {
                    for (int x = 0; x < width; x++, s += 3, o += 3) {
                        dst[o] = src[s + 2];
                        dst[o + 1] = src[s + 1];
                        dst[o + 2] = src[s];
                    }
                }
                case YCBCR -> {
                    for (int x = 0; x < width; x++, s += 3, o += 3) {
                        int luma = src[s] & 0xFF;
                        int cb = src[s + 1] & 0xFF;
                        int cr = src[s + 2] & 0xFF;
                        dst[o] = clamp(luma + CB_B[cb]);
                        dst[o + 1] = clamp(luma + ((CB_G[cb] + CR_G[cr]) >> SCALEBITS));
                        dst[o + 2] = clamp(luma + CR_R[cr]);
                    }
                }
                case CMYK -> {
                    for (int x = 0; x < width; x++, s += 4, o += 3) {
                        int k = src[s + 3] & 0xFF;
                        dst[o] = inkToRgb(255 - (src[s + 2] & 0xFF), k);
                        dst[o + 1] = inkToRgb(255 - (src[s + 1] & 0xFF), k);
                        dst[o + 2] = inkToRgb(255 - (src[s] & 0xFF), k);
                    }
                }
                case YCCK -> {
                    // libjpeg's ycck_cmyk_convert hands PIL C,M,Y = 255 - (R,G,B of the YCC triple), K unchanged;
                    // PIL takes those as Adobe-inverted, so the ink is the YCC->RGB value itself.
                    for (int x = 0; x < width; x++, s += 4, o += 3) {
                        int luma = src[s] & 0xFF;
                        int cb = src[s + 1] & 0xFF;
                        int cr = src[s + 2] & 0xFF;
                        int k = src[s + 3] & 0xFF;
                        dst[o] = inkToRgb(clampInt(luma + CB_B[cb]), k);
                        dst[o + 1] = inkToRgb(clampInt(luma + ((CB_G[cb] + CR_G[cr]) >> SCALEBITS)), k);
                        dst[o + 2] = inkToRgb(clampInt(luma + CR_R[cr]), k);
                    }
                }
                default -> throw new IllegalStateException(cs.name());
            }
        }
    }

    /**
     * One channel of PIL's CMYK->RGB: nk - ink * nk / 255, dividing as PIL's MULDIV255 macro does. Adobe files store
     * every ink inverted, so PIL's ink is 255 - stored, and nk = 255 - K ink is the stored K byte itself.
     */
    private static byte inkToRgb(int ink, int storedK) {
        int t = ink * storedK + 128;
        return (byte) (storedK - (((t >> 8) + t) >> 8));
    }

    private static int fix(double x) {
        return (int) (x * (1L << SCALEBITS) + 0.5);
    }

    private static byte clamp(int v) {
        return (byte) clampInt(v);
    }

    private static int clampInt(int v) {
        return v < 0 ? 0 : Math.min(v, 255);
    }
}
