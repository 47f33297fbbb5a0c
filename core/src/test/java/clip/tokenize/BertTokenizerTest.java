package clip.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.io.BadInputException;
import clip.testutil.Golden;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HF's slow BertTokenizer goldens, every caption and pair, exactly. */
class BertTokenizerTest {
    private static final BertTokenizer TOKENIZER =
            BertTokenizer.fromVocab(Golden.path("tokenizers/bert-base-uncased/vocab.txt"));

    static int[] ints(JsonNode n) {
        int[] out = new int[n.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = n.get(i).asInt();
        }
        return out;
    }

    @Test
    void everyCaption() throws Exception {
        JsonNode items = new ObjectMapper().readTree(Golden.path("tokenizers/bert_goldens.json").toFile()).path("items");
        assertEquals(34, items.size());
        for (JsonNode it : items) {
            String text = it.path("text").asText();
            String what = "caption " + it.path("i").asInt() + " " + text;
            List<String> tokens = new ArrayList<>();
            it.path("tokens").forEach(t -> tokens.add(t.asText()));
            assertEquals(tokens, TOKENIZER.tokenize(text), what);
            assertArrayEquals(ints(it.path("input_ids")), TOKENIZER.encode(text, 0, false).inputIds(), what);
            Encoding e = TOKENIZER.encode(text, 32, true);
            assertArrayEquals(ints(it.path("input_ids_max32")), e.inputIds(), what);
            assertArrayEquals(ints(it.path("attention_mask_max32")), e.attentionMask(), what);
            assertArrayEquals(ints(it.path("token_type_ids_max32")), e.tokenTypeIds(), what);
        }
    }

    @Test
    void casedCheckpointsKeepCaseAndAccents(@TempDir Path dir) throws Exception {
        Files.copy(Golden.path("tokenizers/bert-base-uncased/vocab.txt"), dir.resolve("vocab.txt"));
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"do_lower_case\": false, \"tokenizer_class\": \"BertTokenizer\"}");
        BertTokenizer cased = BertTokenizer.fromFolder(dir);
        JsonNode items = new ObjectMapper().readTree(Golden.path("tokenizers/bert_cased_goldens.json").toFile()).path("items");
        assertEquals(34, items.size());
        for (JsonNode it : items) {
            String text = it.path("text").asText();
            List<String> tokens = new ArrayList<>();
            it.path("tokens").forEach(t -> tokens.add(t.asText()));
            assertEquals(tokens, cased.tokenize(text), "cased caption " + it.path("i").asInt() + " " + text);
            assertArrayEquals(ints(it.path("input_ids")), cased.encode(text, 0, false).inputIds(), text);
        }
    }

    @Test
    void sentencePairsWithLongestFirstTruncation() throws Exception {
        JsonNode g = new ObjectMapper().readTree(Golden.path("tokenizers/bert_pair_goldens.json").toFile());
        int max = g.path("max_length").asInt();
        for (JsonNode it : g.path("items")) {
            String a = it.path("text").asText();
            String b = it.path("text_pair").asText();
            Encoding e = TOKENIZER.encodePair(a, b, max, true);
            assertArrayEquals(ints(it.path("input_ids")), e.inputIds(), a);
            assertArrayEquals(ints(it.path("token_type_ids")), e.tokenTypeIds(), a);
            assertArrayEquals(ints(it.path("attention_mask")), e.attentionMask(), a);
            assertArrayEquals(ints(it.path("full_input_ids")), TOKENIZER.encodePair(a, b, 0, false).inputIds(), a);
        }
    }

    /**
     * Uppercase Greek: HF lower-cases each whitespace token with Python's str.lower() before splitting
     * off punctuation, so a capital sigma becomes final (ς) by CPython's test (a cased letter before
     * it, none after it, skipping only case-ignorable characters such as '.', ':' and apostrophes),
     * not by Java's word-boundary test. Expected lower-cased forms are Python 3.11's.
     */
    @Test
    void capitalSigmaIsLowerCasedPerWhitespaceTokenAsPythonDoes() {
        // "ΟΔΟΣ-ΑΘΗΝΑ".lower() == "οδος-αθηνα" (Java: "οδοσ-αθηνα")
        assertEquals(List.of("ο", "##δ", "##ος", "-", "α", "##θ", "##η", "##ν", "##α"), TOKENIZER.tokenize("ΟΔΟΣ-ΑΘΗΝΑ"));
        // '.' is case-ignorable and a cased letter follows: "οδοσ.αθηνα", though '.' then splits the word
        assertEquals(List.of("ο", "##δ", "##ο", "##σ", ".", "α", "##θ", "##η", "##ν", "##α"), TOKENIZER.tokenize("ΟΔΟΣ.ΑΘΗΝΑ"));
        // a digit is neither cased nor case-ignorable: "αθηνα1σ" and "της1η" (Java: "αθηνα1ς", "τησ1η")
        assertEquals(List.of("α", "##θ", "##η", "##ν", "##α", "##1", "##σ"), TOKENIZER.tokenize("ΑΘΗΝΑ1Σ"));
        assertEquals(List.of("τ", "##ης", "##1", "##η"), TOKENIZER.tokenize("ΤΗΣ1Η"));
        // '^' (Sk) is case-ignorable: "α^ς" (Java: "α^σ")
        assertEquals(List.of("α", "^", "ς"), TOKENIZER.tokenize("Α^Σ"));
        assertEquals(List.of("ο", "##δ", "##ος", "α", "##θ", "##η", "##ν", "##α", "##ς"), TOKENIZER.tokenize("ΟΔΟΣ ΑΘΗΝΑΣ"));
        assertEquals(List.of("σ", "##α", "##ς"), TOKENIZER.tokenize("ΣΑΣ"));
        assertEquals(List.of("σ"), TOKENIZER.tokenize("Σ"));
    }

    @Test
    void missingOrUnusableVocabularyIsNamed(@TempDir Path tmp) throws Exception {
        BadInputException missing = assertThrows(BadInputException.class, () -> BertTokenizer.fromVocab(tmp.resolve("vocab.txt")));
        assertTrue(missing.getMessage().contains("vocab.txt"), missing.getMessage());
        Path garbled = tmp.resolve("garbled.txt");
        Files.writeString(garbled, "hello\nworld\n");
        BadInputException noCls = assertThrows(BadInputException.class, () -> BertTokenizer.fromVocab(garbled));
        assertTrue(noCls.getMessage().contains("garbled.txt") && noCls.getMessage().contains("[CLS]"), noCls.getMessage());
    }
}
