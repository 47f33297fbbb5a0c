package clip.tokenize.ftfy;

import java.util.regex.Pattern;

/**
 * Decides whether text looks like mojibake (UTF-8 decoded with a single-byte codepage), so that
 * the repair is only attempted where the reference cleaner (ftfy 6.1.1, used by both HF's
 * CLIPTokenizer and open_clip) attempts it. Real caption text is full of accented letters, curly
 * quotes and symbols, so "could be re-decoded" alone is not enough: "CAFÉ—" re-decodes to "CAFɗ".
 *
 * <p>The approach is ftfy's: the few hundred characters that make up such mojibake are grouped
 * into classes (accented letters, currency, numeric symbols, box drawing, ...), and text is bad
 * when it juxtaposes classes in ways real writing does not, such as a lowercase accented letter
 * followed by a currency sign. The classes and juxtapositions below are those of ftfy 6.1.1, since
 * matching its decisions is the point.
 */
final class MojibakeHeuristic {
    // Character classes (regex class bodies).
    private static final String COMMON = "\\u00a0\\u00ad\\u00b7\\u00b4\\u2013\\u2014\\u2015\\u2026\\u2019";
    private static final String C1 = "\\u0080-\\u009f";
    /** Characters that are nearly always mojibake. */
    private static final String BAD = "\\u00a6\\u00a4\\u00a8\\u00ac\\u00af\\u00b6\\u00a7\\u00b8\\u0192\\u02c6\\u02c7"
            + "\\u02d8\\u02db\\u02dc\\u2020\\u2021\\u2030\\u2310\\u25ca\\ufffd\\u00aa\\u00ba";
    private static final String CURRENCY = "\\u00a2\\u00a3\\u00a5\\u20a7\\u20ac";
    private static final String START_PUNCT = "\\u00a1\\u00ab\\u00bf\\u00a9\\u0384\\u0385\\u2018\\u201a\\u201c"
            + "\\u201e\\u2022\\u2039\\uf8ff";
    private static final String END_PUNCT = "\\u00ae\\u00bb\\u02dd\\u201d\\u203a\\u2122";
    private static final String NUMERIC = "\\u00b2\\u00b3\\u00b9\\u00b1\\u00bc\\u00bd\\u00be\\u00d7\\u00b5\\u00f7"
            + "\\u2044\\u2202\\u2206\\u220f\\u2211\\u221a\\u221e\\u2229\\u222b\\u2248\\u2260\\u2261\\u2264\\u2265\\u2116";
    /** Letters used in emoticons, so they may legitimately sit next to odd symbols. */
    private static final String KAOMOJI = "\\u00d2-\\u00d6\\u00d9-\\u00dc\\u00f2-\\u00f6\\u00f8-\\u00fc\\u0150\\u00b0";
    private static final String UPPER_ACCENTED = "\\u00c0-\\u00d1\\u00d8\\u00dc\\u00dd\\u0102\\u0104\\u0106\\u010c"
            + "\\u010e\\u0110\\u0118\\u011a\\u011e\\u0130\\u0139\\u013d\\u0141\\u0143\\u0147\\u0152\\u0158\\u015a"
            + "\\u015e\\u0160\\u0162\\u0164\\u016e\\u0170\\u0178\\u0179\\u017b\\u017d\\u0490";
    private static final String LOWER_ACCENTED = "\\u00df\\u00e0-\\u00f1\\u0103\\u0105\\u0107\\u010d\\u010f\\u0111"
            + "\\u0119\\u011b\\u011f\\u013a\\u013e\\u0142\\u0153\\u0155\\u015b\\u015f\\u0161\\u0165\\u00fc\\u017a"
            + "\\u017c\\u017e\\u0491\\ufb01\\ufb02";
    private static final String UPPER_COMMON = "\\u00de\\u0391-\\u03a9\\u0386\\u0388\\u0389\\u038a\\u038c\\u038e"
            + "\\u038f\\u03aa\\u03ab\\u0401-\\u042f";
    private static final String LOWER_COMMON = "\\u03b1-\\u03c9\\u03ac\\u03ad\\u03ae\\u03af\\u03b0\\u0430-\\u045f";
    private static final String BOX = "\\u2502\\u250c\\u2510\\u2518\\u251c\\u2524\\u252c\\u253c\\u2550-\\u256c"
            + "\\u2580\\u2584\\u2588\\u258c\\u2590\\u2591\\u2592\\u2593";
    /** Python's {@code \s} and {@code \w} for str patterns. */
    private static final String PY_SPACE = "[\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029"
            + "\\u202f\\u205f\\u3000]";
    private static final String PY_WORD = "[\\p{L}\\p{N}_]";

    private static final String ARABIC_NEXT = cls(COMMON, CURRENCY, BAD, NUMERIC, START_PUNCT,
            "\\u0178\\u0160\\u00ae\\u00b0\\u00b5\\u00bb");

    private static final Pattern BADNESS = Pattern.compile(String.join("|",
            cls(C1),
            cls(BAD, LOWER_ACCENTED, UPPER_ACCENTED, BOX, START_PUNCT, END_PUNCT, CURRENCY, NUMERIC) + cls(BAD),
            "[a-zA-Z]" + cls(LOWER_COMMON, UPPER_COMMON) + cls(BAD),
            cls(BAD) + cls(LOWER_ACCENTED, UPPER_ACCENTED, BOX, START_PUNCT, END_PUNCT, CURRENCY, NUMERIC),
            cls(LOWER_ACCENTED, LOWER_COMMON, BOX, END_PUNCT, CURRENCY, NUMERIC) + cls(UPPER_ACCENTED),
            cls(BOX, END_PUNCT, CURRENCY, NUMERIC) + cls(LOWER_ACCENTED),
            cls(LOWER_ACCENTED, BOX, END_PUNCT) + cls(CURRENCY),
            PY_SPACE + cls(UPPER_ACCENTED) + cls(CURRENCY),
            cls(UPPER_ACCENTED, BOX) + cls(NUMERIC),
            cls(LOWER_ACCENTED, UPPER_ACCENTED, BOX, CURRENCY, END_PUNCT) + cls(START_PUNCT) + cls(NUMERIC),
            cls(LOWER_ACCENTED, UPPER_ACCENTED, CURRENCY, NUMERIC, BOX) + cls(END_PUNCT) + cls(START_PUNCT),
            cls(CURRENCY, NUMERIC, BOX) + cls(START_PUNCT),
            "[a-z]" + cls(UPPER_ACCENTED) + cls(START_PUNCT, CURRENCY),
            cls(BOX) + cls(KAOMOJI),
            cls(LOWER_ACCENTED, UPPER_ACCENTED, CURRENCY, NUMERIC, START_PUNCT, END_PUNCT) + cls(BOX),
            cls(BOX) + cls(END_PUNCT),
            cls(LOWER_ACCENTED, UPPER_ACCENTED) + cls(END_PUNCT) + PY_WORD,
            // the ligature oe not followed by an unaccented Latin letter
            "[\\u0152\\u0153][^A-Za-z]",
            // common two-character Windows-1252 mojibake not covered above
            "[\\u00c2\\u00c3\\u00ce\\u00d0]" + cls("\\u20ac\\u0160\\u0161\\u00a2\\u00a3\\u0178\\u017e\\xa0\\xad"
                    + "\\u00ae\\u00a9\\u00b0\\u00b7\\u00bb", START_PUNCT, END_PUNCT, "\\u2013\\u2014\\u00b4"),
            "\\u00d7[\\u00b2\\u00b3]",
            // Windows-1252 mojibake of Arabic uses 'common' characters, so four characters are required
            "[\\u00d8\\u00d9]" + ARABIC_NEXT + "[\\u00d8\\u00d9]" + ARABIC_NEXT,
            // starts of 3-byte sequences for South Asian scripts
            "\\u00e0[\\u00b2\\u00b5\\u00b9\\u00bc\\u00bd\\u00be]",
            // MacRoman mojibake
            "\\u221a[\\u00b1\\u2202\\u2020\\u2260\\u00ae\\u2122\\u00b4\\u2264\\u2265\\u00a5\\u00b5\\u00f8]",
            "\\u2248[\\u00b0\\u00a2]",
            "\\u201a\\u00c4[\\u00ec\\u00ee\\u00ef\\u00f2\\u00f4\\u00fa\\u00f9\\u00fb\\u2020\\u00b0\\u00a2\\u03c0]",
            "\\u201a[\\u00e2\\u00f3][\\u00e0\\u00e4\\u00b0\\u00ea]",
            // Windows-1251 mojibake of the U+2000 punctuation block, of Latin-1 and of Cyrillic
            "\\u0432\\u0402",
            "[\\u0412\\u0413\\u0420\\u0421]" + cls(C1, BAD, START_PUNCT, END_PUNCT, CURRENCY, "\\u00b0\\u00b5")
                    + "[\\u0412\\u0413\\u0420\\u0421]",
            "\\u0413\\u045e\\u0412\\u0402\\u0412.[A-Za-z ]",
            // Windows-1252 encodings of a-grave, a-acute and of U+00A0 itself
            "\\u00c3[\\xa0\\u00a1]",
            "[a-z]" + PY_SPACE + "?[\\u00c3\\u00c2][ ]",
            "^[\\u00c3\\u00c2][ ]",
            // A-circumflex before a character it double-encodes
            cls("a-z.,?!", END_PUNCT) + "\\u00c2" + cls(" ", START_PUNCT, END_PUNCT),
            // Windows-1253 mojibake of the U+2000 block, of Latin-1 and of Greek
            "\\u03b2\\u20ac[\\u2122\\xa0\\u0386\\xad\\u00ae\\u00b0]",
            "[\\u0392\\u0393\\u039e\\u039f]" + cls(C1, BAD, START_PUNCT, END_PUNCT, CURRENCY, "\\u00b0")
                    + "[\\u0392\\u0393\\u039e\\u039f]"),
            Pattern.UNIX_LINES);

    // Characters that single-byte decodings of UTF-8 lead and continuation bytes turn into.
    private static final String FIRST_OF_2 = "\\u00c2-\\u00df\\u0102\\u0106\\u010c\\u010e\\u0110\\u0118\\u011a"
            + "\\u011e\\u0130\\u0139\\u0143\\u0147\\u0150\\u0158\\u015e\\u0162\\u016e\\u0170\\u0392-\\u03a1"
            + "\\u03a3-\\u03af\\u0412-\\u042f";
    private static final String FIRST_OF_3 = "\\u00e0-\\u00ef\\u0103\\u0107\\u010d\\u010f\\u0119\\u011b\\u013a"
            + "\\u0155\\u03b0-\\u03bf\\u0430-\\u043f";
    private static final String FIRST_OF_4 = "\\u00f0\\u00f3\\u0111\\u011f\\u03c0\\u03c3\\u0440\\u0443";
    private static final String CONTINUATION_STRICT = "\\u0080-\\u00bf\\u0104\\u0105\\u013d\\u013e\\u0141\\u0142"
            + "\\u0152\\u0153\\u015a\\u015b\\u015e\\u015f\\u0160\\u0161\\u0164\\u0165\\u0178\\u0179\\u017a\\u017b"
            + "\\u017c\\u017d\\u017e\\u0192\\u02c6\\u02c7\\u02d8\\u02db\\u02dc\\u02dd\\u0384\\u0385\\u0386\\u0388"
            + "\\u0389\\u038a\\u038c\\u038e\\u038f\\u0401-\\u040c\\u040e\\u040f\\u0451-\\u045c\\u045e\\u045f"
            + "\\u0490\\u0491\\u2020\\u2021\\u2022\\u2030\\u2039\\u203a\\u20ac\\u2116\\u2122";
    /** Also spaces (a mangled U+00A0), dashes, quotes and ellipses, which stand for themselves too. */
    private static final String CONTINUATION = CONTINUATION_STRICT
            + "\\u2013\\u2014\\u2015\\u2018\\u2019\\u201a\\u201c\\u201d\\u201e\\u2026 ";

    /**
     * Runs of characters that look like UTF-8 sequences seen through a single-byte codepage. The
     * look-behind keeps us from fixing a few characters in the middle of a larger garble.
     */
    static final Pattern UTF8_LOOKALIKE = Pattern.compile(
            "(?<!" + cls(CONTINUATION_STRICT) + ")(?:"
                    + cls(FIRST_OF_2) + cls(CONTINUATION)
                    + "|" + cls(FIRST_OF_3) + cls(CONTINUATION) + "{2}"
                    + "|" + cls(FIRST_OF_4) + cls(CONTINUATION) + "{3})+");

    private MojibakeHeuristic() {
    }

    static boolean isBad(String text) {
        return BADNESS.matcher(text).find();
    }

    private static String cls(String... bodies) {
        return "[" + String.join("", bodies) + "]";
    }
}
