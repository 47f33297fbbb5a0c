package clip.cli;

import clip.io.BadInputException;
import clip.tokenize.BertTokenizer;
import clip.tokenize.ClipTokenizer;
import clip.tokenize.Encoding;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Function;

/** {@code bin/clip tokenize}: one caption per input line, one JSON line of token ids per caption. */
public final class TokenizeCommand implements Command {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final InputStream stdin;

    public TokenizeCommand(InputStream stdin) {
        this.stdin = stdin;
    }

    @Override
    public String name() {
        return "tokenize";
    }

    @Override
    public String summary() {
        return "tokenize captions from standard input (BERT WordPiece or CLIP BPE), one JSON line each";
    }

    @Override
    public String usage() {
        return String.join("\n",
                "usage: bin/clip tokenize --kind bert|clip --vocab PATH [--max-length N] [--flavor hf|openai|open_clip] < captions.txt",
                "  --kind bert|clip   WordPiece (uncased BERT) or CLIP byte-level BPE",
                "  --vocab PATH       bert: vocab.txt; clip: bpe_simple_vocab_16e6.txt.gz or a folder with vocab.json + merges.txt",
                "  --max-length N     truncate and pad to N tokens (adds attention_mask); default: no limit",
                "  --flavor F         CLIP conventions to follow: hf (default), openai or open_clip");
    }

    @Override
    public int run(Args args, PrintStream out) throws IOException {
        String kind = args.required("kind");
        Path vocab = args.path("vocab");
        int maxLength = args.integer("max-length", 0);
        String flavorName = args.string("flavor", "hf");
        args.rejectUnknown();
        Function<String, ObjectNode> encoder = switch (kind) {
            case "bert" -> bert(BertTokenizer.fromVocab(vocab), maxLength);
            case "clip" -> clip(ClipTokenizer.load(vocab, flavor(flavorName)), maxLength);
            default -> throw new BadInputException("--kind must be bert or clip, got '" + kind + "'");
        };
        BufferedReader in = new BufferedReader(new InputStreamReader(stdin, StandardCharsets.UTF_8));
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            out.println(JSON.writeValueAsString(encoder.apply(line)));
        }
        out.flush();
        return 0;
    }

    private static ClipTokenizer.Flavor flavor(String name) {
        return switch (name) {
            case "hf" -> ClipTokenizer.Flavor.HF;
            case "openai" -> ClipTokenizer.Flavor.OPENAI;
            case "open_clip" -> ClipTokenizer.Flavor.OPEN_CLIP;
            default -> throw new BadInputException("--flavor must be hf, openai or open_clip, got '" + name + "'");
        };
    }

    private static Function<String, ObjectNode> bert(BertTokenizer t, int maxLength) {
        return text -> {
            Encoding e = t.encode(text, maxLength, maxLength > 0);
            ObjectNode o = ids(e.inputIds(), maxLength > 0 ? e.attentionMask() : null);
            if (maxLength > 0) {
                o.set("token_type_ids", JSON.valueToTree(e.tokenTypeIds()));
            }
            return o;
        };
    }

    private static Function<String, ObjectNode> clip(ClipTokenizer t, int maxLength) {
        return text -> {
            if (maxLength <= 0) {
                return ids(t.encode(text), null);
            }
            Encoding e = t.encode(text, maxLength);
            return ids(e.inputIds(), e.attentionMask());
        };
    }

    private static ObjectNode ids(int[] ids, int[] mask) {
        ObjectNode o = JSON.createObjectNode();
        o.set("input_ids", JSON.valueToTree(Arrays.stream(ids).boxed().toList()));
        if (mask != null) {
            o.set("attention_mask", JSON.valueToTree(Arrays.stream(mask).boxed().toList()));
        }
        return o;
    }
}
