package clip.tokenize;

/**
 * Windows-1252 in its "sloppy" form (the five undefined bytes map to the C1 controls of the
 * same value), the codec most mojibake came through.
 */
final class Cp1252 {
    private static final int[] HIGH = {
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D,
        0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A,
        0x0153, 0x009D, 0x017E, 0x0178,
    };
    private static final boolean[] UNDEFINED = new boolean[32];

    static {
        for (int b : new int[] {0x81, 0x8D, 0x8F, 0x90, 0x9D}) {
            UNDEFINED[b - 0x80] = true;
        }
    }

    private Cp1252() {
    }

    /** The character for byte b (0x80..0x9F) in real windows-1252, or -1 where it has none. */
    static int decode(int b) {
        return UNDEFINED[b - 0x80] ? -1 : HIGH[b - 0x80];
    }

    /** The byte that sloppy windows-1252 encodes {@code cp} to, or -1 if it has no byte. */
    static int encode(int cp) {
        if (cp < 0x80 || (cp >= 0xA0 && cp <= 0xFF)) {
            return cp;
        }
        for (int i = 0; i < HIGH.length; i++) {
            if (HIGH[i] == cp) {
                return 0x80 + i;
            }
        }
        return -1;
    }
}
