package clip.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.testutil.Golden;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TokenizeCommandTest {
    private String stdout;
    private String stderr;

    private int run(String input, String... argv) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new Cli().register(new TokenizeCommand(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8))))
                .run(argv, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        stdout = out.toString(StandardCharsets.UTF_8);
        stderr = err.toString(StandardCharsets.UTF_8);
        return code;
    }

    @Test
    void bertLinesWithPaddingAndMask() throws Exception {
        String vocab = Golden.path("tokenizers/bert-base-uncased/vocab.txt").toString();
        assertEquals(0, run("A photo of a cat.\nHello, world!\n", "tokenize", "--kind", "bert", "--vocab", vocab, "--max-length", "32"));
        String[] lines = stdout.strip().split("\n");
        assertEquals(2, lines.length);
        JsonNode first = new ObjectMapper().readTree(lines[0]);
        assertEquals("[101,1037,6302,1997,1037,4937,1012,102,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]",
                first.path("input_ids").toString());
        assertEquals(8, countOnes(first.path("attention_mask")));
    }

    private static int countOnes(JsonNode mask) {
        int n = 0;
        for (JsonNode v : mask) {
            n += v.asInt();
        }
        return n;
    }

    @Test
    void clipWithoutPaddingGivesBareIds() throws Exception {
        String merges = Golden.path("tokenizers/clip/bpe_simple_vocab_16e6.txt.gz").toString();
        assertEquals(0, run("A photo of a cat.\n", "tokenize", "--kind", "clip", "--vocab", merges));
        assertEquals("{\"input_ids\":[49406,320,1125,539,320,2368,269,49407]}", stdout.strip());
    }

    @Test
    void badKindAndMissingVocabAreOneLineErrors() {
        assertEquals(2, run("", "tokenize", "--kind", "gpt", "--vocab", "x"));
        assertTrue(stderr.startsWith("error: --kind"), stderr);
        assertEquals(2, run("", "tokenize", "--kind", "bert", "--vocab", "/no/such/vocab.txt"));
        assertTrue(stderr.contains("/no/such/vocab.txt") && stderr.strip().lines().count() == 1, stderr);
    }
}
