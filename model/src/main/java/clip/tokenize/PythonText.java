package clip.tokenize;

import java.util.ArrayList;
import java.util.List;

/**
 * Python's notion of whitespace (str.isspace / str.split() / regex \s), which the reference
 * tokenizers rely on and which differs from Java's: it includes U+001C..U+001F, U+0085 and
 * U+2028 among others.
 */
final class PythonText {
    private PythonText() {
    }

    static boolean isSpace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0
                || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029
                || cp == 0x202F || cp == 0x205F || cp == 0x3000;
    }

    /** str.split() with no argument. */
    static List<String> split(String s) {
        List<String> out = new ArrayList<>();
        int start = -1;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            if (isSpace(cp)) {
                if (start >= 0) {
                    out.add(s.substring(start, i));
                    start = -1;
                }
            } else if (start < 0) {
                start = i;
            }
            i += Character.charCount(cp);
        }
        if (start >= 0) {
            out.add(s.substring(start));
        }
        return out;
    }

    /** re.sub(r"\s+", " ", s).strip() */
    static String collapseWhitespace(String s) {
        return String.join(" ", split(s));
    }
}
