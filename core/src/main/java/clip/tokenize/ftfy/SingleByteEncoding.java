package clip.tokenize.ftfy;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.util.HashMap;
import java.util.Map;

/**
 * A one-byte-per-character legacy encoding, used to undo mojibake: text that was UTF-8 but got
 * decoded with one of these is re-encoded to recover the original bytes.
 *
 * <p>The "sloppy" variant follows the convention ftfy uses: bytes the codepage leaves undefined
 * decode as the Latin-1 character of the same value (so nothing is lost), and byte 0x1A stands
 * for U+FFFD, so text where a decoder already replaced a byte can still be partly recovered.
 */
final class SingleByteEncoding {
    final String name;
    final boolean sloppy;
    private final char[] decodeTable = new char[256];
    private final Map<Character, Byte> encodeTable = new HashMap<>();

    private SingleByteEncoding(String name, String javaCharset, boolean sloppy) {
        this.name = name;
        this.sloppy = sloppy;
        CharsetDecoder decoder = Charset.forName(javaCharset).newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        for (int b = 0; b < 256; b++) {
            char c;
            try {
                CharBuffer decoded = decoder.decode(ByteBuffer.wrap(new byte[] {(byte) b}));
                c = decoded.length() == 1 ? decoded.get(0) : (char) b;
            } catch (CharacterCodingException undefined) {
                if (!sloppy) {
                    throw new IllegalStateException(javaCharset + " leaves byte " + b + " undefined");
                }
                c = (char) b;
            }
            decodeTable[b] = c;
        }
        if (sloppy) {
            decodeTable[0x1A] = '\uFFFD';
        }
        for (int b = 255; b >= 0; b--) {
            encodeTable.put(decodeTable[b], (byte) b);
        }
    }

    static SingleByteEncoding plain(String name, String javaCharset) {
        return new SingleByteEncoding(name, javaCharset, false);
    }

    static SingleByteEncoding sloppy(String name, String javaCharset) {
        return new SingleByteEncoding(name, javaCharset, true);
    }

    /** The bytes of {@code text}, or null when some character has none. */
    byte[] encode(String text) {
        byte[] out = new byte[text.length()];
        for (int i = 0; i < text.length(); i++) {
            Byte b = encodeTable.get(text.charAt(i));
            if (b == null) {
                return null;
            }
            out[i] = b;
        }
        return out;
    }

    String decode(byte[] bytes) {
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            out[i] = decodeTable[bytes[i] & 0xFF];
        }
        return new String(out);
    }

    /** The character byte {@code b} decodes to. */
    char charOf(int b) {
        return decodeTable[b & 0xFF];
    }
}
