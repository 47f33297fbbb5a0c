package clip.tokenize.ftfy;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The few Python {@code str} semantics the reference tokenizers are written in: {@code isspace},
 * {@code split()}, {@code strip()}, {@code lower()} and {@code unicodedata.category}. Java's own
 * notions differ in small ways (Character.isWhitespace excludes U+00A0, String.strip differs from
 * str.strip), and every such difference changes token ids, so tokenizer code uses only these.
 * All methods work on code points, so emoji and other supplementary characters stay whole.
 */
public final class PythonText {
    private static final char CAPITAL_SIGMA = '\u03A3';

    private PythonText() {
    }

    /** Python's {@code str.isspace()}: bidi classes WS/B/S plus category Zs. */
    public static boolean isSpace(int cp) {
        switch (cp) {
            case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D:
            case 0x1C: case 0x1D: case 0x1E: case 0x1F: case 0x20:
            case 0x85: case 0xA0: case 0x1680:
            case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
                return true;
            default:
                return cp >= 0x2000 && cp <= 0x200A;
        }
    }

    /** Python's {@code str.split()} with no argument: runs of whitespace separate, no empty parts. */
    public static List<String> splitOnSpace(String s) {
        List<String> parts = new ArrayList<>();
        int start = -1;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            if (isSpace(cp)) {
                if (start >= 0) {
                    parts.add(s.substring(start, i));
                    start = -1;
                }
            } else if (start < 0) {
                start = i;
            }
            i += Character.charCount(cp);
        }
        if (start >= 0) {
            parts.add(s.substring(start));
        }
        return parts;
    }

    /** Python's {@code str.strip()}. */
    public static String strip(String s) {
        int begin = 0;
        int end = s.length();
        while (begin < end && isSpace(s.codePointAt(begin))) {
            begin += Character.charCount(s.codePointAt(begin));
        }
        while (end > begin && isSpace(s.codePointBefore(end))) {
            end -= Character.charCount(s.codePointBefore(end));
        }
        return s.substring(begin, end);
    }

    /** Python's {@code " ".join(s.split())}: collapses whitespace runs to one space and trims. */
    public static String collapseSpaces(String s) {
        return String.join(" ", splitOnSpace(s));
    }

    /**
     * Python's {@code str.lower()}: full case mapping (Java's root-locale mapping, code point by
     * code point) except for capital sigma, which CPython maps by its own Final_Sigma test
     * ({@code handle_capital_sigma}): final when a cased letter precedes it and none follows it,
     * looking past case-ignorable characters only. Java's {@code toLowerCase} looks instead for a
     * cased letter anywhere in the same word (BreakIterator), so it differs on e.g. "Α1Σ" (Python
     * σ, Java ς), "ΑΣ1Β" (Python ς, Java σ) and "Α^Σ" (Python ς, Java σ).
     */
    public static String lower(String s) {
        if (s.indexOf(CAPITAL_SIGMA) < 0) {
            return s.toLowerCase(Locale.ROOT);
        }
        StringBuilder sb = new StringBuilder(s.length());
        int start = 0;
        for (int i = s.indexOf(CAPITAL_SIGMA); i >= 0; i = s.indexOf(CAPITAL_SIGMA, start)) {
            sb.append(s.substring(start, i).toLowerCase(Locale.ROOT));
            sb.append(isFinalSigma(s, i) ? '\u03C2' : '\u03C3');
            start = i + 1;
        }
        return sb.append(s.substring(start).toLowerCase(Locale.ROOT)).toString();
    }

    /** \p{cased} \p{case-ignorable}* U+03A3 !(\p{case-ignorable}* \p{cased}), as CPython tests it. */
    private static boolean isFinalSigma(String s, int sigma) {
        int before = sigma;
        int cp = 0;
        while (before > 0) {
            cp = s.codePointBefore(before);
            if (!isCaseIgnorable(cp)) {
                break;
            }
            before -= Character.charCount(cp);
        }
        if (before == 0 || !isCased(s.codePointBefore(before))) {
            return false;
        }
        int after = sigma + 1;
        while (after < s.length()) {
            cp = s.codePointAt(after);
            if (!isCaseIgnorable(cp)) {
                return !isCased(cp);
            }
            after += Character.charCount(cp);
        }
        return true;
    }

    /** Unicode's Cased: Lu, Ll, Lt, Other_Lowercase, Other_Uppercase. */
    private static boolean isCased(int cp) {
        return Character.isLowerCase(cp) || Character.isUpperCase(cp) || Character.isTitleCase(cp);
    }

    /** Unicode's Case_Ignorable: Mn, Me, Cf, Lm, Sk, and Word_Break MidLetter, MidNumLet and Single_Quote. */
    private static boolean isCaseIgnorable(int cp) {
        switch (Character.getType(cp)) {
            case Character.NON_SPACING_MARK: case Character.ENCLOSING_MARK: case Character.FORMAT:
            case Character.MODIFIER_LETTER: case Character.MODIFIER_SYMBOL:
                return true;
            default:
                break;
        }
        switch (cp) {
            case 0x0027: // Single_Quote
            case 0x002E: case 0x2018: case 0x2019: case 0x2024: case 0xFE52: case 0xFF07: case 0xFF0E: // MidNumLet
            case 0x003A: case 0x00B7: case 0x0387: case 0x055F: case 0x05F4: case 0x2027: case 0xFE13: case 0xFE55: case 0xFF1A:
                return true; // MidLetter (the last row)
            default:
                return false;
        }
    }

    /** The two-letter Unicode general category, as {@code unicodedata.category}. */
    public static String category(int cp) {
        switch (Character.getType(cp)) {
            case Character.UPPERCASE_LETTER: return "Lu";
            case Character.LOWERCASE_LETTER: return "Ll";
            case Character.TITLECASE_LETTER: return "Lt";
            case Character.MODIFIER_LETTER: return "Lm";
            case Character.OTHER_LETTER: return "Lo";
            case Character.NON_SPACING_MARK: return "Mn";
            case Character.COMBINING_SPACING_MARK: return "Mc";
            case Character.ENCLOSING_MARK: return "Me";
            case Character.DECIMAL_DIGIT_NUMBER: return "Nd";
            case Character.LETTER_NUMBER: return "Nl";
            case Character.OTHER_NUMBER: return "No";
            case Character.CONNECTOR_PUNCTUATION: return "Pc";
            case Character.DASH_PUNCTUATION: return "Pd";
            case Character.START_PUNCTUATION: return "Ps";
            case Character.END_PUNCTUATION: return "Pe";
            case Character.INITIAL_QUOTE_PUNCTUATION: return "Pi";
            case Character.FINAL_QUOTE_PUNCTUATION: return "Pf";
            case Character.OTHER_PUNCTUATION: return "Po";
            case Character.MATH_SYMBOL: return "Sm";
            case Character.CURRENCY_SYMBOL: return "Sc";
            case Character.MODIFIER_SYMBOL: return "Sk";
            case Character.OTHER_SYMBOL: return "So";
            case Character.SPACE_SEPARATOR: return "Zs";
            case Character.LINE_SEPARATOR: return "Zl";
            case Character.PARAGRAPH_SEPARATOR: return "Zp";
            case Character.CONTROL: return "Cc";
            case Character.FORMAT: return "Cf";
            case Character.PRIVATE_USE: return "Co";
            case Character.SURROGATE: return "Cs";
            default: return "Cn";
        }
    }

    /** The code points of {@code s}, so Python-style indexing by character is direct. */
    public static int[] codePoints(String s) {
        return s.codePoints().toArray();
    }
}
