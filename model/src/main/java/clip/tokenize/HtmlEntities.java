package clip.tokenize;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Python's html.unescape for what captions contain: numeric references, and the named
 * entities of HTML 4 (Latin-1, punctuation, typographic); Latin-1 names and amp/lt/gt/quot
 * also without the semicolon, as HTML5 allows.
 */
final class HtmlEntities {
    private static final String LATIN1 = "nbsp iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr "
            + "deg plusmn sup2 sup3 acute micro para middot cedil sup1 ordm raquo frac14 frac12 frac34 iquest "
            + "Agrave Aacute Acirc Atilde Auml Aring AElig Ccedil Egrave Eacute Ecirc Euml Igrave Iacute Icirc Iuml "
            + "ETH Ntilde Ograve Oacute Ocirc Otilde Ouml times Oslash Ugrave Uacute Ucirc Uuml Yacute THORN szlig "
            + "agrave aacute acirc atilde auml aring aelig ccedil egrave eacute ecirc euml igrave iacute icirc iuml "
            + "eth ntilde ograve oacute ocirc otilde ouml divide oslash ugrave uacute ucirc uuml yacute thorn yuml";
    private static final String[][] OTHERS = {
        {"amp", "&"}, {"lt", "<"}, {"gt", ">"}, {"quot", "\""}, {"apos", "'"}, {"ndash", "\u2013"}, {"mdash", "\u2014"},
        {"lsquo", "\u2018"}, {"rsquo", "\u2019"}, {"sbquo", "\u201a"}, {"ldquo", "\u201c"}, {"rdquo", "\u201d"},
        {"bdquo", "\u201e"}, {"dagger", "\u2020"}, {"Dagger", "\u2021"}, {"bull", "\u2022"}, {"hellip", "\u2026"},
        {"permil", "\u2030"}, {"prime", "\u2032"}, {"Prime", "\u2033"}, {"lsaquo", "\u2039"}, {"rsaquo", "\u203a"},
        {"euro", "\u20ac"}, {"trade", "\u2122"}, {"oelig", "\u0153"}, {"OElig", "\u0152"}, {"scaron", "\u0161"},
        {"Scaron", "\u0160"}, {"Yuml", "\u0178"}, {"fnof", "\u0192"}, {"circ", "\u02c6"}, {"tilde", "\u02dc"},
        {"ensp", "\u2002"}, {"emsp", "\u2003"}, {"thinsp", "\u2009"}, {"zwnj", "\u200c"}, {"zwj", "\u200d"},
        {"lrm", "\u200e"}, {"rlm", "\u200f"}, {"larr", "\u2190"}, {"rarr", "\u2192"}, {"uarr", "\u2191"},
        {"darr", "\u2193"}, {"hearts", "\u2665"}, {"infin", "\u221e"}, {"ne", "\u2260"}, {"le", "\u2264"},
        {"ge", "\u2265"}, {"minus", "\u2212"}, {"deg", "\u00b0"},
    };
    private static final Map<String, String> WITH_SEMICOLON = new HashMap<>();
    private static final Map<String, String> WITHOUT_SEMICOLON = new HashMap<>();
    private static final Pattern REF = Pattern.compile("&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[A-Za-z][A-Za-z0-9]*;?)");

    static {
        String[] names = LATIN1.split(" ");
        for (int i = 0; i < names.length; i++) {
            String ch = String.valueOf((char) (0xA0 + i));
            WITH_SEMICOLON.put(names[i], ch);
            WITHOUT_SEMICOLON.put(names[i], ch);
        }
        for (String[] e : OTHERS) {
            WITH_SEMICOLON.put(e[0], e[1]);
        }
        for (String legacy : new String[] {"amp", "lt", "gt", "quot"}) {
            WITHOUT_SEMICOLON.put(legacy, WITH_SEMICOLON.get(legacy));
        }
    }

    private HtmlEntities() {
    }

    static String unescape(String s) {
        if (s.indexOf('&') < 0) {
            return s;
        }
        Matcher m = REF.matcher(s);
        StringBuilder sb = new StringBuilder(s.length());
        while (m.find()) {
            m.appendReplacement(sb, Matcher.quoteReplacement(replace(m.group(1))));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    private static String replace(String ref) {
        if (ref.startsWith("#")) {
            String digits = ref.endsWith(";") ? ref.substring(1, ref.length() - 1) : ref.substring(1);
            int cp;
            try {
                cp = digits.startsWith("x") || digits.startsWith("X")
                        ? Integer.parseInt(digits.substring(1), 16) : Integer.parseInt(digits);
            } catch (NumberFormatException e) {
                return "\uFFFD";
            }
            if (cp >= 0x80 && cp <= 0x9F) {
                int mapped = Cp1252.decode(cp);
                return mapped < 0 ? new String(Character.toChars(cp)) : new String(Character.toChars(mapped));
            }
            if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
                return "\uFFFD";
            }
            return new String(Character.toChars(cp));
        }
        if (ref.endsWith(";")) {
            String v = WITH_SEMICOLON.get(ref.substring(0, ref.length() - 1));
            if (v != null) {
                return v;
            }
        }
        // Longest legacy name that prefixes the reference, the rest kept as text (Python's rule).
        String name = ref.endsWith(";") ? ref.substring(0, ref.length() - 1) : ref;
        for (int len = name.length(); len > 1; len--) {
            String v = WITHOUT_SEMICOLON.get(name.substring(0, len));
            if (v != null) {
                return v + ref.substring(len);
            }
        }
        return "&" + ref;
    }
}
