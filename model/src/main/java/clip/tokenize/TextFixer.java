package clip.tokenize;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.regex.Pattern;

/**
 * The parts of ftfy 6.1's {@code fix_text} that real captions need, in ftfy's order: HTML
 * entities (only when the text has no '<', ftfy's "auto" rule), terminal escapes, UTF-8
 * mojibake (text that was UTF-8 decoded as windows-1252), stray C1 controls, Latin ligatures,
 * full-width characters, curly quotes, line breaks, control characters, NFC.
 *
 * <p>The mojibake repair is a narrower rule than ftfy's badness heuristic: it re-decodes only
 * runs whose windows-1252 bytes form complete UTF-8 multi-byte sequences, which legitimate text
 * almost never contains.
 */
final class TextFixer {
    private static final Pattern TERMINAL_ESCAPE = Pattern.compile("\u001b\\[((?:\\d|;)*)([a-zA-Z])");
    private static final String LIGATURES = "\u0132\u0133\u0149\u01c7\u01c8\u01c9\u01ca\u01cb\u01cc\u01f1\u01f2\u01f3"
            + "\ufb00\ufb01\ufb02\ufb03\ufb04\ufb05\ufb06";

    private TextFixer() {
    }

    static String fix(String text) {
        String s = text;
        if (s.indexOf('<') < 0) {
            s = HtmlEntities.unescape(s);
        }
        s = TERMINAL_ESCAPE.matcher(s).replaceAll("");
        s = fixMojibake(s);
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            appendFixed(sb, cp, i < s.length() ? s.codePointAt(i) : -1);
        }
        return Normalizer.normalize(sb.toString(), Normalizer.Form.NFC);
    }

    private static void appendFixed(StringBuilder sb, int cp, int next) {
        if (cp >= 0x80 && cp <= 0x9F) {
            int fixed = Cp1252.decode(cp);
            if (fixed >= 0) {
                sb.appendCodePoint(fixed);
                return;
            }
        }
        if (LIGATURES.indexOf(cp) >= 0 || (cp >= 0xFF01 && cp <= 0xFFEF)) {
            sb.append(Normalizer.normalize(new String(Character.toChars(cp)), Normalizer.Form.NFKC));
        } else if (cp == 0x3000) {
            sb.append(' ');
        } else if (cp == 0x02BC || (cp >= 0x2018 && cp <= 0x201B)) {
            sb.append('\'');
        } else if (cp >= 0x201C && cp <= 0x201F) {
            sb.append('"');
        } else if (cp == '\r') {
            if (next != '\n') {
                sb.append('\n');
            }
        } else if (cp == 0x2028 || cp == 0x2029 || cp == 0x85) {
            sb.append('\n');
        } else if (!isUselessControl(cp)) {
            sb.appendCodePoint(cp);
        }
    }

    /** ftfy's CONTROL_CHARS: C0 controls other than tab/newline/formfeed/return, DEL, and a few format characters. */
    private static boolean isUselessControl(int cp) {
        return (cp <= 0x08) || cp == 0x0B || (cp >= 0x0E && cp <= 0x1F) || cp == 0x7F || (cp >= 0x206A && cp <= 0x206F)
                || cp == 0xFEFF || (cp >= 0xFFF9 && cp <= 0xFFFC) || (cp >= 0x1D173 && cp <= 0x1D17A)
                || (cp >= 0xE0000 && cp <= 0xE007F);
    }

    /** Re-decodes runs like "Ã©" or "â€œ" (UTF-8 bytes shown as windows-1252) to the characters they encode. */
    static String fixMojibake(String s) {
        StringBuilder out = null;
        int i = 0;
        while (i < s.length()) {
            int lead = Cp1252.encode(s.charAt(i));
            int len = lead >= 0xC2 && lead <= 0xDF ? 2 : lead >= 0xE0 && lead <= 0xEF ? 3 : lead >= 0xF0 && lead <= 0xF4 ? 4 : 0;
            String decoded = len > 0 && i + len <= s.length() ? decodeRun(s, i, len) : null;
            if (decoded == null) {
                if (out != null) {
                    out.append(s.charAt(i));
                }
                i++;
                continue;
            }
            if (out == null) {
                out = new StringBuilder(s.length()).append(s, 0, i);
            }
            out.append(decoded);
            i += len;
        }
        return out == null ? s : out.toString();
    }

    private static String decodeRun(String s, int start, int len) {
        byte[] bytes = new byte[len];
        for (int k = 0; k < len; k++) {
            int b = Cp1252.encode(s.charAt(start + k));
            if (b < 0 || (k > 0 && (b < 0x80 || b > 0xBF))) {
                return null;
            }
            bytes[k] = (byte) b;
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
