package clip.tokenize;

import clip.io.BadInputException;
import clip.tokenize.ftfy.PythonText;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * HF's slow {@code BertTokenizer}: special tokens kept whole, BasicTokenizer (text cleanup, CJK
 * characters split, lower-casing with accent stripping unless the checkpoint is cased,
 * punctuation split), then greedy longest-match WordPiece.
 */
public final class BertTokenizer {
    /** BERT's special tokens, kept whole in text and first in a generated vocab.txt (ids 0-4). */
    public static final List<String> SPECIAL = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]");
    private static final int MAX_WORD_CHARS = 100;

    private final Vocabulary vocab;
    private final int cls;
    private final int sep;
    private final int unk;
    private final int pad;
    private final boolean lowerCase;
    private final boolean stripAccents;

    private BertTokenizer(Vocabulary vocab, String source, boolean lowerCase, boolean stripAccents) {
        this.vocab = vocab;
        this.lowerCase = lowerCase;
        this.stripAccents = stripAccents;
        this.cls = vocab.require("[CLS]", source);
        this.sep = vocab.require("[SEP]", source);
        this.unk = vocab.require("[UNK]", source);
        this.pad = vocab.require("[PAD]", source);
    }

    /** Reads a WordPiece {@code vocab.txt} (one token per line, id = line number); uncased. */
    public static BertTokenizer fromVocab(Path vocabTxt) {
        return fromVocab(vocabTxt, true, null);
    }

    /**
     * @param lowerCase HF's {@code do_lower_case}: false for cased checkpoints
     * @param stripAccents HF's {@code strip_accents}; null follows {@code lowerCase}, as HF does
     */
    public static BertTokenizer fromVocab(Path vocabTxt, boolean lowerCase, Boolean stripAccents) {
        return new BertTokenizer(new Vocabulary(Vocabulary.readLines(vocabTxt)), vocabTxt.toString(), lowerCase,
                stripAccents == null ? lowerCase : stripAccents);
    }

    /**
     * The tokenizer of an HF model folder: {@code vocab.txt}, cased or not as its
     * {@code tokenizer_config.json} says.
     */
    public static BertTokenizer fromFolder(Path dir) {
        return withConfigBeside(dir.resolve("vocab.txt"));
    }

    /**
     * {@code vocabTxt}, cased or not as the {@code tokenizer_config.json} beside it says
     * ({@code do_lower_case}, default true; {@code strip_accents}); uncased when there is none.
     */
    public static BertTokenizer withConfigBeside(Path vocabTxt) {
        Path config = tokenizerConfig(vocabTxt);
        if (!java.nio.file.Files.isRegularFile(config)) {
            return fromVocab(vocabTxt);
        }
        JsonNode c;
        try {
            c = new ObjectMapper().readTree(java.nio.file.Files.readString(config));
        } catch (java.io.IOException e) {
            throw new BadInputException(config + ": unreadable tokenizer config: " + e.getMessage());
        }
        JsonNode strip = c.path("strip_accents");
        return fromVocab(vocabTxt, c.path("do_lower_case").asBoolean(true), strip.isBoolean() ? strip.asBoolean() : null);
    }

    /** Where HF keeps the casing of the vocabulary {@code vocabTxt}: tokenizer_config.json beside it. */
    public static Path tokenizerConfig(Path vocabTxt) {
        return vocabTxt.toAbsolutePath().resolveSibling("tokenizer_config.json");
    }

    public int vocabSize() {
        return vocab.size();
    }

    public List<String> tokenize(String text) {
        List<String> out = new ArrayList<>();
        for (String chunk : splitOnSpecialTokens(text)) {
            if (SPECIAL.contains(chunk)) {
                out.add(chunk);
                continue;
            }
            for (String word : basicTokenize(chunk)) {
                wordPiece(word, out);
            }
        }
        return out;
    }

    /** [CLS] text [SEP], truncated to {@code maxLength} (<= 0: no limit) and optionally padded to it. */
    public Encoding encode(String text, int maxLength, boolean padToMax) {
        int[] a = ids(text);
        if (maxLength > 0 && a.length > maxLength - 2) {
            a = Arrays.copyOf(a, Math.max(0, maxLength - 2));
        }
        return assemble(a, null, maxLength, padToMax);
    }

    /** [CLS] a [SEP] b [SEP] with HF's longest_first truncation. */
    public Encoding encodePair(String first, String second, int maxLength, boolean padToMax) {
        int[] a = ids(first);
        int[] b = ids(second);
        int remove = maxLength > 0 ? a.length + b.length + 3 - maxLength : 0;
        if (remove > 0) {
            int firstRemove = Math.min(Math.abs(a.length - b.length), remove);
            int secondRemove = remove - firstRemove;
            int fromA;
            int fromB;
            if (a.length > b.length) {
                fromA = firstRemove + secondRemove / 2;
                fromB = secondRemove - secondRemove / 2;
            } else {
                fromA = secondRemove / 2;
                fromB = firstRemove + secondRemove - secondRemove / 2;
            }
            a = Arrays.copyOf(a, Math.max(0, a.length - fromA));
            b = Arrays.copyOf(b, Math.max(0, b.length - fromB));
        }
        return assemble(a, b, maxLength, padToMax);
    }

    private int[] ids(String text) {
        List<String> tokens = tokenize(text);
        int[] out = new int[tokens.size()];
        for (int i = 0; i < out.length; i++) {
            Integer id = vocab.id(tokens.get(i));
            out[i] = id == null ? unk : id;
        }
        return out;
    }

    private Encoding assemble(int[] a, int[] b, int maxLength, boolean padToMax) {
        int n = a.length + 2 + (b == null ? 0 : b.length + 1);
        int total = padToMax && maxLength > n ? maxLength : n;
        int[] ids = new int[total];
        int[] mask = new int[total];
        int[] types = new int[total];
        Arrays.fill(ids, pad);
        int k = 0;
        ids[k++] = cls;
        for (int id : a) {
            ids[k++] = id;
        }
        ids[k++] = sep;
        if (b != null) {
            for (int id : b) {
                types[k] = 1;
                ids[k++] = id;
            }
            types[k] = 1;
            ids[k++] = sep;
        }
        Arrays.fill(mask, 0, k, 1);
        return new Encoding(ids, mask, types);
    }

    private static List<String> splitOnSpecialTokens(String text) {
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < text.length(); i++) {
            for (String s : SPECIAL) {
                if (text.startsWith(s, i)) {
                    out.add(text.substring(start, i));
                    out.add(s);
                    start = i + s.length();
                    i = start - 1;
                    break;
                }
            }
        }
        out.add(text.substring(start));
        return out;
    }

    private List<String> basicTokenize(String text) {
        String cleaned = Normalizer.normalize(spaceOutCjk(clean(text)), Normalizer.Form.NFC);
        List<String> pieces = new ArrayList<>();
        for (String token : PythonText.splitOnSpace(cleaned)) {
            String cased = lowerCase ? PythonText.lower(token) : token;
            splitOnPunctuation(stripAccents ? stripAccents(cased) : cased, pieces);
        }
        return pieces;
    }

    /** Drops NUL, U+FFFD and control/format characters; maps whitespace to a space. */
    private static String clean(String text) {
        StringBuilder sb = new StringBuilder(text.length());
        text.codePoints().forEach(cp -> {
            if (cp == 0 || cp == 0xFFFD || isControl(cp)) {
                return;
            }
            sb.appendCodePoint(isWhitespace(cp) ? ' ' : cp);
        });
        return sb.toString();
    }

    private static boolean isWhitespace(int cp) {
        return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || Character.getType(cp) == Character.SPACE_SEPARATOR;
    }

    /** Unicode categories C* except tab, newline and carriage return. */
    private static boolean isControl(int cp) {
        if (cp == '\t' || cp == '\n' || cp == '\r') {
            return false;
        }
        int t = Character.getType(cp);
        return t == Character.CONTROL || t == Character.FORMAT || t == Character.PRIVATE_USE
                || t == Character.SURROGATE || t == Character.UNASSIGNED;
    }

    private static boolean isPunctuation(int cp) {
        if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) {
            return true;
        }
        int t = Character.getType(cp);
        return t == Character.CONNECTOR_PUNCTUATION || t == Character.DASH_PUNCTUATION || t == Character.START_PUNCTUATION
                || t == Character.END_PUNCTUATION || t == Character.INITIAL_QUOTE_PUNCTUATION
                || t == Character.FINAL_QUOTE_PUNCTUATION || t == Character.OTHER_PUNCTUATION;
    }

    /** HF's _is_chinese_char: the CJK Unified Ideograph blocks (not Japanese kana or Hangul). */
    private static boolean isCjk(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF)
                || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }

    private static String spaceOutCjk(String text) {
        StringBuilder sb = new StringBuilder(text.length());
        text.codePoints().forEach(cp -> {
            if (isCjk(cp)) {
                sb.append(' ').appendCodePoint(cp).append(' ');
            } else {
                sb.appendCodePoint(cp);
            }
        });
        return sb.toString();
    }

    private static String stripAccents(String s) {
        String nfd = Normalizer.normalize(s, Normalizer.Form.NFD);
        StringBuilder sb = new StringBuilder(nfd.length());
        nfd.codePoints().filter(cp -> Character.getType(cp) != Character.NON_SPACING_MARK).forEach(sb::appendCodePoint);
        return sb.toString();
    }

    private static void splitOnPunctuation(String token, List<String> out) {
        StringBuilder word = new StringBuilder();
        token.codePoints().forEach(cp -> {
            if (isPunctuation(cp)) {
                if (word.length() > 0) {
                    out.add(word.toString());
                    word.setLength(0);
                }
                out.add(new String(Character.toChars(cp)));
            } else {
                word.appendCodePoint(cp);
            }
        });
        if (word.length() > 0) {
            out.add(word.toString());
        }
    }

    private void wordPiece(String word, List<String> out) {
        if (word.codePointCount(0, word.length()) > MAX_WORD_CHARS) {
            out.add("[UNK]");
            return;
        }
        List<String> pieces = new ArrayList<>();
        int start = 0;
        while (start < word.length()) {
            int end = word.length();
            String match = null;
            while (start < end) {
                String candidate = (start > 0 ? "##" : "") + word.substring(start, end);
                if (vocab.id(candidate) != null) {
                    match = candidate;
                    break;
                }
                end = word.offsetByCodePoints(end, -1);
            }
            if (match == null) {
                out.add("[UNK]");
                return;
            }
            pieces.add(match);
            start = end;
        }
        out.addAll(pieces);
    }
}
