package clip.tokenize;

import clip.tokenize.ftfy.HtmlUnescaper;
import clip.tokenize.ftfy.PythonText;
import clip.tokenize.ftfy.TextFixer;

import clip.io.BadInputException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * CLIP's byte-level BPE tokenizer (OpenAI's merges), with ftfy-style cleanup. The three
 * implementations users compare against disagree in two places, so the flavour is explicit:
 * HF does not html-unescape and pads with end-of-text; OpenAI and open_clip unescape twice and
 * pad with 0; open_clip also tokenizes a literal "<|endoftext|>" in the text as ordinary text.
 */
public final class ClipTokenizer {
    public static final int CONTEXT_LENGTH = 77;

    /** Whose conventions to follow. */
    public enum Flavor { HF, OPENAI, OPEN_CLIP }

    private static final String WS = "\\t\\n\\x0B\\f\\r\\x1C-\\x20\\x85\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000";
    private static final String WORDS = "'s|'t|'re|'ve|'m|'ll|'d|\\p{L}+|\\p{N}|[^" + WS + "\\p{L}\\p{N}]+";
    private static final Pattern WITH_SPECIALS =
            Pattern.compile("<\\|startoftext\\|>|<\\|endoftext\\|>|" + WORDS, Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
    private static final Pattern WITHOUT_SPECIALS = Pattern.compile(WORDS, Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
    private static final int MERGE_COUNT = 49152 - 256 - 2;

    private final Map<String, Integer> encoder;
    private final String[] decoder;
    private final Map<String, Integer> mergeRanks;
    private final String[] byteToUnicode = byteToUnicode();
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();
    private final TextFixer fixer = new TextFixer();
    private final Flavor flavor;
    private final int startOfText;
    private final int endOfText;

    private ClipTokenizer(Map<String, Integer> encoder, List<String> merges, Flavor flavor, String source) {
        this.encoder = encoder;
        this.decoder = new String[encoder.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1];
        encoder.forEach((token, id) -> decoder[id] = token);
        this.mergeRanks = new HashMap<>(merges.size() * 2);
        for (int i = 0; i < merges.size(); i++) {
            mergeRanks.put(merges.get(i), i);
        }
        this.flavor = flavor;
        Integer sot = encoder.get("<|startoftext|>");
        Integer eot = encoder.get("<|endoftext|>");
        if (sot == null || eot == null) {
            throw new BadInputException(source + ": vocabulary lacks <|startoftext|> / <|endoftext|>");
        }
        this.startOfText = sot;
        this.endOfText = eot;
    }

    /**
     * @param path OpenAI's {@code bpe_simple_vocab_16e6.txt.gz}, or a folder with HF's
     *     {@code vocab.json} and {@code merges.txt}
     */
    public static ClipTokenizer load(Path path, Flavor flavor) {
        if (Files.isDirectory(path)) {
            return fromHfFiles(path.resolve("vocab.json"), path.resolve("merges.txt"), flavor);
        }
        List<String> lines = Vocabulary.readLines(path);
        if (lines.size() < MERGE_COUNT + 1) {
            throw new BadInputException(path + ": expected " + MERGE_COUNT + " BPE merges, found " + Math.max(0, lines.size() - 1));
        }
        List<String> merges = lines.subList(1, MERGE_COUNT + 1);
        // The byte characters in bytes_to_unicode's order: printable ranges first, then the rest.
        List<String> vocab = orderedByteAlphabet();
        List<String> all = new ArrayList<>(vocab);
        vocab.forEach(v -> all.add(v + "</w>"));
        for (String m : merges) {
            all.add(m.replace(" ", ""));
        }
        all.add("<|startoftext|>");
        all.add("<|endoftext|>");
        Map<String, Integer> encoder = new HashMap<>(all.size() * 2);
        for (int i = 0; i < all.size(); i++) {
            encoder.put(all.get(i), i);
        }
        return new ClipTokenizer(encoder, merges, flavor, path.toString());
    }

    private static ClipTokenizer fromHfFiles(Path vocabJson, Path mergesTxt, Flavor flavor) {
        Map<String, Integer> encoder = new HashMap<>();
        try {
            JsonNode v = new ObjectMapper().readTree(Files.readString(vocabJson, StandardCharsets.UTF_8));
            v.fields().forEachRemaining(e -> encoder.put(e.getKey(), e.getValue().asInt()));
        } catch (java.nio.file.NoSuchFileException e) {
            throw new BadInputException(vocabJson + ": no such file");
        } catch (IOException e) {
            throw new BadInputException(vocabJson + ": cannot read: " + e.getMessage());
        }
        List<String> lines = Vocabulary.readLines(mergesTxt);
        List<String> merges = new ArrayList<>();
        for (String l : lines.subList(lines.isEmpty() || !lines.get(0).startsWith("#") ? 0 : 1, lines.size())) {
            if (!l.isBlank() && merges.size() < MERGE_COUNT) {
                merges.add(l);
            }
        }
        return new ClipTokenizer(encoder, merges, flavor, vocabJson.toString());
    }

    public Flavor flavor() {
        return flavor;
    }

    /** The BPE tokens of the cleaned text, without start/end markers. */
    public List<String> tokenize(String text) {
        List<String> out = new ArrayList<>();
        for (int id : bpeIds(text)) {
            out.add(decoderToken(id));
        }
        return out;
    }

    private String decoderToken(int id) {
        return decoder[id];
    }

    /** [SOT] tokens [EOT], unpadded and untruncated. */
    public int[] encode(String text) {
        int[] body = bpeIds(text);
        int[] ids = new int[body.length + 2];
        ids[0] = startOfText;
        System.arraycopy(body, 0, ids, 1, body.length);
        ids[ids.length - 1] = endOfText;
        return ids;
    }

    /** Truncated (keeping the end-of-text token last) and padded to {@code length} by the flavour's rules. */
    public Encoding encode(String text, int length) {
        int[] ids = encode(text);
        if (ids.length > length) {
            ids = Arrays.copyOf(ids, length);
            ids[length - 1] = endOfText;
        }
        int[] padded = new int[length];
        int[] mask = new int[length];
        Arrays.fill(padded, flavor == Flavor.HF ? endOfText : 0);
        System.arraycopy(ids, 0, padded, 0, ids.length);
        Arrays.fill(mask, 0, ids.length, 1);
        return new Encoding(padded, mask, new int[length]);
    }

    private int[] bpeIds(String text) {
        String cleaned = fixer.fix(text);
        if (flavor != Flavor.HF) {
            cleaned = PythonText.strip(HtmlUnescaper.unescape(HtmlUnescaper.unescape(cleaned)));
        }
        cleaned = PythonText.lower(PythonText.collapseSpaces(cleaned));
        Matcher m = (flavor == Flavor.OPEN_CLIP ? WITHOUT_SPECIALS : WITH_SPECIALS).matcher(cleaned);
        List<Integer> ids = new ArrayList<>();
        while (m.find()) {
            String word = m.group();
            for (int id : cache.computeIfAbsent(word, this::bpe)) {
                ids.add(id);
            }
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    private int[] bpe(String token) {
        if (token.equals("<|startoftext|>") || token.equals("<|endoftext|>")) {
            return new int[] {encoder.get(token)};
        }
        List<String> word = new ArrayList<>();
        for (byte b : token.getBytes(StandardCharsets.UTF_8)) {
            word.add(byteToUnicode[b & 0xff]);
        }
        word.set(word.size() - 1, word.get(word.size() - 1) + "</w>");
        while (word.size() > 1) {
            int best = -1;
            int bestRank = Integer.MAX_VALUE;
            for (int i = 0; i + 1 < word.size(); i++) {
                Integer rank = mergeRanks.get(word.get(i) + " " + word.get(i + 1));
                if (rank != null && rank < bestRank) {
                    bestRank = rank;
                    best = i;
                }
            }
            if (best < 0) {
                break;
            }
            String first = word.get(best);
            String second = word.get(best + 1);
            List<String> merged = new ArrayList<>(word.size());
            for (int i = 0; i < word.size(); i++) {
                if (i + 1 < word.size() && word.get(i).equals(first) && word.get(i + 1).equals(second)) {
                    merged.add(first + second);
                    i++;
                } else {
                    merged.add(word.get(i));
                }
            }
            word = merged;
        }
        int[] ids = new int[word.size()];
        for (int i = 0; i < ids.length; i++) {
            Integer id = encoder.get(word.get(i));
            if (id == null) {
                throw new IllegalStateException("BPE produced '" + word.get(i) + "', which is not in the vocabulary");
            }
            ids[i] = id;
        }
        return ids;
    }

    /** GPT-2's reversible byte -> printable character table. */
    private static String[] byteToUnicode() {
        String[] table = new String[256];
        List<Integer> printable = printableBytes();
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            table[b] = printable.contains(b) ? String.valueOf((char) b) : String.valueOf((char) (256 + extra++));
        }
        return table;
    }

    private static List<String> orderedByteAlphabet() {
        String[] table = byteToUnicode();
        List<Integer> printable = printableBytes();
        List<String> out = new ArrayList<>();
        for (int b : printable) {
            out.add(table[b]);
        }
        for (int b = 0; b < 256; b++) {
            if (!printable.contains(b)) {
                out.add(table[b]);
            }
        }
        return out;
    }

    private static List<Integer> printableBytes() {
        List<Integer> bs = new ArrayList<>();
        for (int b = '!'; b <= '~'; b++) {
            bs.add(b);
        }
        for (int b = 0xA1; b <= 0xAC; b++) {
            bs.add(b);
        }
        for (int b = 0xAE; b <= 0xFF; b++) {
            bs.add(b);
        }
        return bs;
    }
}
