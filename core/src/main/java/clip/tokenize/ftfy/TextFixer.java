package clip.tokenize.ftfy;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Caption clean-up as {@code ftfy.fix_text} (6.1.1, default settings) does it, since both CLIP
 * tokenizers (HF and open_clip) run every caption through it before BPE; a caption cleaned
 * differently gets different token ids.
 *
 * <p>What it repairs, in ftfy's order, repeated until nothing changes:
 * HTML entities (only unambiguous ones ending in ';', and not in text that looks like HTML
 * markup); mojibake, i.e. UTF-8 that was decoded with a single-byte codepage ("cafÃ©", "â€œ"),
 * found by {@link MojibakeHeuristic} and undone by re-encoding; stray C1 control characters
 * (read as Windows-1252, as browsers do); Latin ligatures ("ﬁ"); full- and half-width forms;
 * curly quotes; line-break variants; unpaired surrogates; terminal colour escapes; invisible
 * control characters; and finally NFC normalisation.
 *
 * <p>Not covered (ftfy does not do these by default either): guessing the encoding of raw
 * bytes, and mixups between two single-byte codepages.
 */
public final class TextFixer {
    /** ftfy fixes text in chunks of at most this many characters, to bound the work per chunk. */
    private static final int MAX_SEGMENT = 1_000_000;

    /** The codepages mojibake is undone through, most likely first (ftfy's order). */
    private static final List<SingleByteEncoding> CODEPAGES = List.of(
            SingleByteEncoding.plain("latin-1", "ISO-8859-1"),
            SingleByteEncoding.sloppy("sloppy-windows-1252", "windows-1252"),
            SingleByteEncoding.sloppy("sloppy-windows-1251", "windows-1251"),
            SingleByteEncoding.sloppy("sloppy-windows-1250", "windows-1250"),
            SingleByteEncoding.sloppy("sloppy-windows-1253", "windows-1253"),
            SingleByteEncoding.sloppy("sloppy-windows-1254", "windows-1254"),
            SingleByteEncoding.plain("iso-8859-2", "ISO-8859-2"),
            SingleByteEncoding.plain("macroman", "x-MacRoman"),
            SingleByteEncoding.plain("cp437", "IBM437"));
    private static final SingleByteEncoding WINDOWS_1252 = CODEPAGES.get(1);

    private static final Pattern HTML_ENTITY = Pattern.compile("&#?[0-9A-Za-z]{1,24};");
    private static final Map<String, String> ENTITIES = buildEntityTable();

    // Byte-level patterns run over a byte array viewed as a Latin-1 string (one char per byte).
    /** UTF-8 sequences that would be valid if a U+00A0 byte had not been turned into a space. */
    private static final Pattern ALTERED_UTF8 = Pattern.compile(
            "[\\xc2\\xc3\\xc5\\xce\\xd0\\xd9][ ]"
                    + "|[\\xe2\\xe3][ ][\\x80-\\x84\\x86-\\x9f\\xa1-\\xbf]"
                    + "|[\\xe0-\\xe3][\\x80-\\x84\\x86-\\x9f\\xa1-\\xbf][ ]"
                    + "|[\\xf0][ ][\\x80-\\xbf][\\x80-\\xbf]"
                    + "|[\\xf0][\\x80-\\xbf][ ][\\x80-\\xbf]"
                    + "|[\\xf0][\\x80-\\xbf][\\x80-\\xbf][ ]");
    /** "Ã " as a word of its own is almost always "à " (Portuguese contractions excepted). */
    private static final Pattern A_GRAVE_WORD = Pattern.compile("\\xc3 (?! |quele|quela|quilo|s )");
    /** UTF-8 sequences where a byte was lost to U+FFFD (byte 1A in sloppy codepages) or '?'. */
    private static final Pattern LOSSY_UTF8 = Pattern.compile(
            "[\\xc2-\\xdf][\\x1a]"
                    + "|[\\xc2-\\xc3][?]"
                    + "|\\xed[\\xa0-\\xaf][\\x1a?]\\xed[\\xb0-\\xbf][\\x1a?\\x80-\\xbf]"
                    + "|\\xed[\\xa0-\\xaf][\\x1a?\\x80-\\xbf]\\xed[\\xb0-\\xbf][\\x1a?]"
                    + "|[\\xe0-\\xef][\\x1a?][\\x1a\\x80-\\xbf]"
                    + "|[\\xe0-\\xef][\\x1a\\x80-\\xbf][\\x1a?]"
                    + "|[\\xf0-\\xf4][\\x1a?][\\x1a\\x80-\\xbf][\\x1a\\x80-\\xbf]"
                    + "|[\\xf0-\\xf4][\\x1a\\x80-\\xbf][\\x1a?][\\x1a\\x80-\\xbf]"
                    + "|[\\xf0-\\xf4][\\x1a\\x80-\\xbf][\\x1a\\x80-\\xbf][\\x1a?]"
                    + "|\\x1a");
    private static final String REPLACEMENT_UTF8 = "\u00ef\u00bf\u00bd";

    private static final Pattern ANSI_ESCAPE = Pattern.compile("\u001b\\[((?:\\p{Nd}|;)*)([a-zA-Z])");
    private static final Map<Integer, String> LIGATURES = Map.ofEntries(
            Map.entry(0x0132, "IJ"), Map.entry(0x0133, "ij"), Map.entry(0x0149, "\u02bcn"),
            Map.entry(0x01F1, "DZ"), Map.entry(0x01F2, "Dz"), Map.entry(0x01F3, "dz"),
            Map.entry(0x01C4, "D\u017d"), Map.entry(0x01C5, "D\u017e"), Map.entry(0x01C6, "d\u017e"),
            Map.entry(0x01C7, "LJ"), Map.entry(0x01C8, "Lj"), Map.entry(0x01C9, "lj"),
            Map.entry(0x01CA, "NJ"), Map.entry(0x01CB, "Nj"), Map.entry(0x01CC, "nj"),
            Map.entry(0xFB00, "ff"), Map.entry(0xFB01, "fi"), Map.entry(0xFB02, "fl"),
            Map.entry(0xFB03, "ffi"), Map.entry(0xFB04, "ffl"), Map.entry(0xFB05, "\u017ft"),
            Map.entry(0xFB06, "st"));

    public String fix(String text) {
        StringBuilder out = new StringBuilder(text.length());
        boolean unescapeHtml = true;
        int pos = 0;
        while (pos < text.length()) {
            int end = text.indexOf('\n', pos) + 1;
            if (end == 0) {
                end = text.length();
            }
            end = Math.min(end, pos + MAX_SEGMENT);
            String segment = text.substring(pos, end);
            // Text with '<' is probably HTML markup, where entities are meant literally; ftfy keeps
            // that decision for the rest of the text.
            if (segment.indexOf('<') >= 0) {
                unescapeHtml = false;
            }
            out.append(fixSegment(segment, unescapeHtml));
            pos = end;
        }
        return out.toString();
    }

    private String fixSegment(String text, boolean unescapeHtml) {
        if (isPlainAscii(text)) {
            return text;
        }
        while (true) {
            String before = text;
            if (unescapeHtml) {
                text = unescapeUnambiguousEntities(text);
            }
            text = fixEncoding(text);
            text = fixC1Controls(text);
            text = fixLatinLigatures(text);
            text = fixCharacterWidth(text);
            text = uncurlQuotes(text);
            text = fixLineBreaks(text);
            text = fixSurrogates(text);
            text = ANSI_ESCAPE.matcher(text).replaceAll("");
            text = removeControlChars(text);
            text = Normalizer.normalize(text, Normalizer.Form.NFC);
            if (text.equals(before)) {
                return text;
            }
        }
    }

    // ---- HTML entities ----

    private static String unescapeUnambiguousEntities(String text) {
        if (text.indexOf('&') < 0) {
            return text;
        }
        Matcher m = HTML_ENTITY.matcher(text);
        StringBuilder out = new StringBuilder(text.length());
        while (m.find()) {
            String entity = m.group();
            String replacement = ENTITIES.get(entity);
            if (replacement == null && entity.startsWith("&#")) {
                String decoded = HtmlUnescaper.unescape(entity);
                // a numeric reference that did not consume its ';' was not really one
                replacement = decoded.contains(";") ? entity : decoded;
            }
            m.appendReplacement(out, Matcher.quoteReplacement(replacement == null ? entity : replacement));
        }
        m.appendTail(out);
        return out.toString();
    }

    /**
     * The HTML5 names that end in ';', plus upper-cased forms of the all-lowercase ones when that
     * spelling means nothing else ("&EACUTE;" for É, as databases that upper-case text produce).
     */
    private static Map<String, String> buildEntityTable() {
        Map<String, String> table = new HashMap<>();
        HtmlUnescaper.namedReferences().forEach((name, value) -> {
            if (!name.endsWith(";")) {
                return;
            }
            table.put("&" + name, value);
            if (name.equals(PythonText.lower(name))) {
                String upper = "&" + name.toUpperCase(java.util.Locale.ROOT);
                if (HtmlUnescaper.unescape(upper).equals(upper)) {
                    table.put(upper, value.toUpperCase(java.util.Locale.ROOT));
                }
            }
        });
        return Collections.unmodifiableMap(table);
    }

    // ---- mojibake ----

    /** Undoes mojibake one layer at a time until the text stops changing. */
    static String fixEncoding(String text) {
        while (true) {
            String fixed = fixEncodingOnce(text);
            if (fixed.equals(text)) {
                return text;
            }
            text = fixed;
        }
    }

    private static String fixEncodingOnce(String text) {
        if (isAscii(text) || !MojibakeHeuristic.isBad(text)) {
            return text;
        }
        // The likeliest story: the whole text was UTF-8 read through one single-byte codepage.
        for (SingleByteEncoding codepage : CODEPAGES) {
            byte[] bytes = codepage.encode(text);
            if (bytes == null) {
                continue;
            }
            String view = new String(bytes, StandardCharsets.ISO_8859_1);
            if (ALTERED_UTF8.matcher(view).find()) {
                view = restoreByteA0(view);
            }
            if (codepage.sloppy) {
                view = LOSSY_UTF8.matcher(view).replaceAll(REPLACEMENT_UTF8);
            }
            boolean variants = view.indexOf('\u00ed') >= 0 || view.indexOf('\u00c0') >= 0;
            String decoded = Utf8Decoder.decode(view.getBytes(StandardCharsets.ISO_8859_1), variants);
            if (decoded != null) {
                return decoded;
            }
        }
        // Otherwise mojibake may sit inside text that is fine elsewhere: fix those runs alone.
        if (MojibakeHeuristic.UTF8_LOOKALIKE.matcher(text).find()) {
            String fixed = decodeInconsistentUtf8(text);
            if (!fixed.equals(text)) {
                return fixed;
            }
        }
        // ftfy next tries Latin-1 -> Windows-1252 on the whole text, which changes exactly the C1
        // characters that fixC1Controls below changes, with the same result.
        return fixC1Controls(text);
    }

    private static String restoreByteA0(String bytes) {
        String s = A_GRAVE_WORD.matcher(bytes).replaceAll("\u00c3\u00a0 ");
        Matcher m = ALTERED_UTF8.matcher(s);
        StringBuilder out = new StringBuilder(s.length());
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(m.group().replace(' ', '\u00a0')));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static String decodeInconsistentUtf8(String text) {
        Matcher m = MojibakeHeuristic.UTF8_LOOKALIKE.matcher(text);
        StringBuilder out = new StringBuilder(text.length());
        while (m.find()) {
            String run = m.group();
            // only strictly shorter runs, so this cannot recurse forever
            String fixed = run.length() < text.length() && MojibakeHeuristic.isBad(run) ? fixEncoding(run) : run;
            m.appendReplacement(out, Matcher.quoteReplacement(fixed));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** C1 controls are never meant; read them as the Windows-1252 characters they nearly always are. */
    private static String fixC1Controls(String text) {
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= 0x80 && c <= 0x9F) {
                if (out == null) {
                    out = new StringBuilder(text.length()).append(text, 0, i);
                }
                out.append(WINDOWS_1252.charOf(c));
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? text : out.toString();
    }

    /**
     * Printable ASCII with tabs and newlines and no '&amp;' is what most captions are, and no fix
     * changes it; checking that first saves the dozen passes below.
     */
    private static boolean isPlainAscii(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if ((c < 0x20 && c != '\t' && c != '\n') || c >= 0x7F || c == '&') {
                return false;
            }
        }
        return true;
    }

    private static boolean isAscii(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    // ---- character-level fixes ----

    private static String fixLatinLigatures(String text) {
        return mapCodePoints(text, cp -> LIGATURES.get(cp));
    }

    /**
     * Full-width ASCII and half-width katakana/hangul become their ordinary forms (their NFKC
     * forms); the ideographic space becomes a plain space on the same principle.
     */
    private static String fixCharacterWidth(String text) {
        return mapCodePoints(text, cp -> {
            if (cp == 0x3000) {
                return " ";
            }
            if (cp < 0xFF01 || cp > 0xFFEF) {
                return null;
            }
            String c = new String(Character.toChars(cp));
            String normal = Normalizer.normalize(c, Normalizer.Form.NFKC);
            return normal.equals(c) ? null : normal;
        });
    }

    private static String uncurlQuotes(String text) {
        return mapCodePoints(text, cp -> {
            if (cp == 0x02BC || (cp >= 0x2018 && cp <= 0x201B)) {
                return "'";
            }
            if (cp >= 0x201C && cp <= 0x201F) {
                return "\"";
            }
            return null;
        });
    }

    private static String fixLineBreaks(String text) {
        return text.replace("\r\n", "\n").replace('\r', '\n').replace('\u2028', '\n')
                .replace('\u2029', '\n').replace('\u0085', '\n');
    }

    /** Java strings pair surrogates by themselves; an unpaired one becomes U+FFFD. */
    private static String fixSurrogates(String text) {
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean paired = Character.isHighSurrogate(c) && i + 1 < text.length()
                    && Character.isLowSurrogate(text.charAt(i + 1));
            if (paired) {
                if (out != null) {
                    out.append(c).append(text.charAt(i + 1));
                }
                i++;
            } else if (Character.isSurrogate(c)) {
                if (out == null) {
                    out = new StringBuilder(text.length()).append(text, 0, i);
                }
                out.append('\uFFFD');
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? text : out.toString();
    }

    /**
     * Drops control characters nobody means to write: C0 controls other than tab, line feed, form
     * feed and carriage return; DEL; deprecated Arabic format controls; the byte order mark; and
     * the interlinear annotation / object replacement characters. Joiners, bidi marks, C1 controls
     * (clues to mojibake) and emoji tag characters stay.
     */
    private static String removeControlChars(String text) {
        return mapCodePoints(text, cp -> {
            boolean drop = (cp <= 0x08) || cp == 0x0B || (cp >= 0x0E && cp <= 0x1F) || cp == 0x7F
                    || (cp >= 0x206A && cp <= 0x206F) || cp == 0xFEFF || (cp >= 0xFFF9 && cp <= 0xFFFC);
            return drop ? "" : null;
        });
    }

    private interface CodePointMap {
        /** The replacement for {@code cp}, or null to keep it. */
        String apply(int cp);
    }

    private static String mapCodePoints(String text, CodePointMap map) {
        StringBuilder out = null;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            int n = Character.charCount(cp);
            String replacement = map.apply(cp);
            if (replacement != null && out == null) {
                out = new StringBuilder(text.length()).append(text, 0, i);
            }
            if (out != null) {
                if (replacement != null) {
                    out.append(replacement);
                } else {
                    out.appendCodePoint(cp);
                }
            }
            i += n;
        }
        return out == null ? text : out.toString();
    }
}
