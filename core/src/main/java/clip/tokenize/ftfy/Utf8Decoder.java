package clip.tokenize.ftfy;

/**
 * Strict UTF-8 decoding that returns null instead of replacing bad bytes, because mojibake repair
 * must know whether recovered bytes really were UTF-8. With {@code variants} it also accepts the
 * two non-standard forms real software writes: CESU-8 (a supplementary character as two encoded
 * UTF-16 surrogates) and Java's modified UTF-8 null (C0 80).
 */
final class Utf8Decoder {
    private Utf8Decoder() {
    }

    static String decode(byte[] b, boolean variants) {
        StringBuilder out = new StringBuilder(b.length);
        int i = 0;
        while (i < b.length) {
            int b0 = b[i] & 0xFF;
            if (b0 < 0x80) {
                out.append((char) b0);
                i++;
                continue;
            }
            if (variants && b0 == 0xC0 && i + 1 < b.length && (b[i + 1] & 0xFF) == 0x80) {
                out.append('\0');
                i += 2;
                continue;
            }
            if (variants && b0 == 0xED && i + 5 < b.length) {
                int high = surrogate(b, i, 0xA0, 0xAF);
                int low = surrogate(b, i + 3, 0xB0, 0xBF);
                if (high >= 0 && low >= 0) {
                    out.append((char) high).append((char) low);
                    i += 6;
                    continue;
                }
            }
            int n;
            int cp;
            int min;
            if (b0 >= 0xC2 && b0 <= 0xDF) {
                n = 1;
                cp = b0 & 0x1F;
                min = 0x80;
            } else if (b0 >= 0xE0 && b0 <= 0xEF) {
                n = 2;
                cp = b0 & 0x0F;
                min = 0x800;
            } else if (b0 >= 0xF0 && b0 <= 0xF4) {
                n = 3;
                cp = b0 & 0x07;
                min = 0x10000;
            } else {
                return null;
            }
            if (i + n >= b.length) {
                return null;
            }
            for (int k = 1; k <= n; k++) {
                int c = b[i + k] & 0xFF;
                if ((c & 0xC0) != 0x80) {
                    return null;
                }
                cp = (cp << 6) | (c & 0x3F);
            }
            if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
                return null;
            }
            out.appendCodePoint(cp);
            i += n + 1;
        }
        return out.toString();
    }

    /** The UTF-16 surrogate encoded as ED xx yy at {@code at}, with xx in [lo, hi]; -1 otherwise. */
    private static int surrogate(byte[] b, int at, int lo, int hi) {
        int b0 = b[at] & 0xFF;
        int b1 = b[at + 1] & 0xFF;
        int b2 = b[at + 2] & 0xFF;
        if (b0 != 0xED || b1 < lo || b1 > hi || (b2 & 0xC0) != 0x80) {
            return -1;
        }
        return 0xD000 | ((b1 & 0x3F) << 6) | (b2 & 0x3F);
    }
}
