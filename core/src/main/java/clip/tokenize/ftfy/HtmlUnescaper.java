package clip.tokenize.ftfy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * HTML character-reference decoding with the semantics of Python's {@code html.unescape}
 * (which open_clip applies twice to every caption): the HTML5 named references, including the
 * legacy names accepted without a semicolon and the longest-prefix rule, plus numeric references
 * with the HTML5 replacements for C1 and invalid code points.
 */
public final class HtmlUnescaper {
    /** Windows-1252 meanings the HTML5 spec gives numeric references 0x80-0x9F (0 where none). */
    private static final String C1_REPLACEMENTS =
            "\u20AC\u0081\u201A\u0192\u201E\u2026\u2020\u2021\u02C6\u2030\u0160\u2039\u0152\u008D\u017D\u008F"
                    + "\u0090\u2018\u2019\u201C\u201D\u2022\u2013\u2014\u02DC\u2122\u0161\u203A\u0153\u009D\u017E\u0178";

    private static final Pattern CHARREF =
            Pattern.compile("&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\\t\\n\\f <&#;]{1,32};?)");

    private static final Map<String, String> NAMED = loadNamed();

    private HtmlUnescaper() {
    }

    /** The HTML5 named references, keyed without the leading '&' ("amp;", "amp", ...). */
    static Map<String, String> namedReferences() {
        return NAMED;
    }

    public static String unescape(String s) {
        if (s.indexOf('&') < 0) {
            return s;
        }
        Matcher m = CHARREF.matcher(s);
        StringBuilder out = new StringBuilder(s.length());
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(replace(m.group(1))));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static String replace(String ref) {
        if (ref.charAt(0) == '#') {
            boolean hex = ref.length() > 1 && (ref.charAt(1) == 'x' || ref.charAt(1) == 'X');
            String digits = ref.substring(hex ? 2 : 1);
            if (digits.endsWith(";")) {
                digits = digits.substring(0, digits.length() - 1);
            }
            return numeric(new BigInteger(digits, hex ? 16 : 10));
        }
        String exact = NAMED.get(ref);
        if (exact != null) {
            return exact;
        }
        // The spec's longest-prefix rule: "&notit;" is "¬it;" because "not" is a legacy name.
        for (int len = ref.length() - 1; len > 1; len--) {
            String prefix = NAMED.get(ref.substring(0, len));
            if (prefix != null) {
                return prefix + ref.substring(len);
            }
        }
        return "&" + ref;
    }

    private static String numeric(BigInteger value) {
        if (value.bitLength() > 31) {
            return "\uFFFD";
        }
        int cp = value.intValue();
        if (cp == 0) {
            return "\uFFFD";
        }
        if (cp == 0x0D) {
            return "\r";
        }
        if (cp >= 0x80 && cp <= 0x9F) {
            return String.valueOf(C1_REPLACEMENTS.charAt(cp - 0x80));
        }
        if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
            return "\uFFFD";
        }
        boolean invalid = (cp >= 0x01 && cp <= 0x08) || cp == 0x0B || (cp >= 0x0E && cp <= 0x1F)
                || cp == 0x7F || (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE;
        return invalid ? "" : new String(Character.toChars(cp));
    }

    private static Map<String, String> loadNamed() {
        Map<String, String> table = new HashMap<>();
        try (InputStream in = HtmlUnescaper.class.getResourceAsStream("html5-entities.tsv")) {
            if (in == null) {
                throw new IllegalStateException("resource clip/tokenize/html5-entities.tsv is missing from the jar");
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line; (line = r.readLine()) != null; ) {
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                int tab = line.indexOf('\t');
                StringBuilder value = new StringBuilder();
                for (String hex : line.substring(tab + 1).split(" ")) {
                    value.appendCodePoint(Integer.parseInt(hex, 16));
                }
                table.put(line.substring(0, tab), value.toString());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Collections.unmodifiableMap(table);
    }
}
