package clip.tokenize;

import clip.tokenize.ftfy.TextFixer;

import static clip.tokenize.BertTokenizerTest.ints;
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

/**
 * CLIP BPE goldens for every caption in all three conventions: HF's CLIPTokenizer, OpenAI's
 * SimpleTokenizer and open_clip's tokenizer.
 */
class ClipTokenizerTest {
    private static final Path MERGES = Golden.path("tokenizers/clip/bpe_simple_vocab_16e6.txt.gz");

    private static JsonNode items() throws Exception {
        return new ObjectMapper().readTree(Golden.path("tokenizers/clip_goldens.json").toFile()).path("items");
    }

    @Test
    void hfFlavourFromEitherVocabularyFormat() throws Exception {
        for (ClipTokenizer t : new ClipTokenizer[] {
                ClipTokenizer.load(MERGES, ClipTokenizer.Flavor.HF),
                ClipTokenizer.load(Golden.path("tokenizers/clip"), ClipTokenizer.Flavor.HF)}) {
            int n = 0;
            for (JsonNode it : items()) {
                String text = it.path("text").asText();
                String what = "caption " + it.path("i").asInt() + ": " + text;
                List<String> tokens = new ArrayList<>();
                it.path("tokens").forEach(x -> tokens.add(x.asText()));
                assertEquals(tokens, t.tokenize(text), what);
                assertArrayEquals(ints(it.path("input_ids")), t.encode(text), what);
                Encoding e = t.encode(text, ClipTokenizer.CONTEXT_LENGTH);
                assertArrayEquals(ints(it.path("input_ids_77_hf")), e.inputIds(), what);
                assertArrayEquals(ints(it.path("attention_mask_77_hf")), e.attentionMask(), what);
                n++;
            }
            assertEquals(34, n);
        }
    }

    @Test
    void openAiFlavour() throws Exception {
        ClipTokenizer t = ClipTokenizer.load(MERGES, ClipTokenizer.Flavor.OPENAI);
        for (JsonNode it : items()) {
            assertArrayEquals(ints(it.path("openai_simple_tokenizer_ids")), t.encode(it.path("text").asText()),
                    "caption " + it.path("i").asInt());
        }
    }

    @Test
    void openClipFlavour() throws Exception {
        ClipTokenizer t = ClipTokenizer.load(MERGES, ClipTokenizer.Flavor.OPEN_CLIP);
        for (JsonNode it : items()) {
            String what = "caption " + it.path("i").asInt();
            int[] ids = t.encode(it.path("text").asText(), ClipTokenizer.CONTEXT_LENGTH).inputIds();
            assertArrayEquals(ints(it.path("open_clip_v2.32.0_ids_77")), ids, what);
            assertArrayEquals(ints(it.path("open_clip_v3.3.0_ids_77")), ids, what);
        }
    }

    @Test
    void mojibakeIsRepairedButOrdinaryAccentsAreLeftAlone() {
        TextFixer fixer = new TextFixer();
        assertEquals("café and \"quotes\"", fixer.fix("cafÃ© and â€œquotesâ€\u009d"));
        assertEquals("Café crème", fixer.fix("Café crème"));
    }

    @Test
    void badVocabularyFilesAreNamed(@TempDir Path tmp) throws Exception {
        BadInputException missing = assertThrows(BadInputException.class,
                () -> ClipTokenizer.load(tmp.resolve("bpe.txt.gz"), ClipTokenizer.Flavor.HF));
        assertTrue(missing.getMessage().contains("bpe.txt.gz"), missing.getMessage());
        Path shortFile = tmp.resolve("short.txt");
        Files.writeString(shortFile, "#version\na b\n");
        BadInputException tooShort = assertThrows(BadInputException.class, () -> ClipTokenizer.load(shortFile, ClipTokenizer.Flavor.HF));
        assertTrue(tooShort.getMessage().contains("short.txt"), tooShort.getMessage());
    }
}
