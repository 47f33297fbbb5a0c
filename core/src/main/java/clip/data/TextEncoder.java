package clip.data;

import clip.io.BadInputException;
import clip.model.HfModel;
import clip.model.HfModels;
import com.fasterxml.jackson.databind.JsonNode;
import clip.model.TextBatch;
import clip.tokenize.BertTokenizer;
import clip.tokenize.ClipTokenizer;
import clip.tokenize.Encoding;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import org.nd4j.linalg.factory.Nd4j;

/** Captions to a padded {@link TextBatch} with the tokenizer a model was trained with. */
public final class TextEncoder {
    private final Function<String, Encoding> tokenize;
    private final int length;

    private TextEncoder(Function<String, Encoding> tokenize, int length) {
        this.tokenize = tokenize;
        this.length = length;
    }

    public static TextEncoder bert(BertTokenizer tokenizer, int maxLength) {
        return new TextEncoder(t -> tokenizer.encode(t, maxLength, true), maxLength);
    }

    /** BERT captions' length when neither the caller nor the folder's tokenizer_config.json says. */
    public static final int DEFAULT_BERT_LENGTH = 64;

    /**
     * The tokenizer files of an HF model folder: CLIP's vocab.json + merges.txt for a CLIPModel,
     * BERT's vocab.txt for a dual encoder, cased if its tokenizer_config.json says so, captions cut
     * at {@code bertMaxLength} tokens, or with 0 at tokenizer_config.json's {@code model_max_length}
     * (training writes the length it used), else {@value #DEFAULT_BERT_LENGTH}.
     */
    public static TextEncoder forModel(Path dir, HfModel model, int bertMaxLength) {
        if (model.modelType().equals("clip")) {
            int length = model.config().path("text_config").path("max_position_embeddings").asInt(ClipTokenizer.CONTEXT_LENGTH);
            ClipTokenizer clip = ClipTokenizer.load(dir, ClipTokenizer.Flavor.HF);
            return new TextEncoder(t -> clip.encode(t, length), length);
        }
        Path vocab = dir.resolve("vocab.txt");
        if (!Files.isRegularFile(vocab)) {
            throw new BadInputException(dir + ": no vocab.txt beside the model (a BERT text tower needs its WordPiece vocabulary)");
        }
        int positions = model.config().path("text_config").path("max_position_embeddings").asInt(512);
        int length = bertMaxLength > 0 ? bertMaxLength : savedLength(dir.resolve("tokenizer_config.json"));
        return bert(BertTokenizer.fromFolder(dir), Math.min(length, positions));
    }

    /** HF writes a huge sentinel as model_max_length when a tokenizer has no limit: that means "not said". */
    private static int savedLength(Path tokenizerConfig) {
        if (!Files.isRegularFile(tokenizerConfig)) {
            return DEFAULT_BERT_LENGTH;
        }
        JsonNode length = HfModels.readJson(tokenizerConfig).path("model_max_length");
        return length.canConvertToInt() && length.asInt() >= 2 ? length.asInt() : DEFAULT_BERT_LENGTH;
    }

    /** Every text padded (or cut) to the fixed length, so every batch has the same shape (what training wants). */
    public TextBatch encode(List<String> texts) {
        return encode(texts.stream().map(tokenize).toList(), length);
    }

    /**
     * Padded only to the batch's longest text (training and inference): a tower's output at the real tokens
     * does not depend on padding after them (masked out of BERT's attention, behind CLIP's causal
     * mask), and for short captions the fixed length's padding would be most of the work.
     */
    public TextBatch encodeToLongest(List<String> texts) {
        List<Encoding> encodings = texts.stream().map(tokenize).toList();
        int longest = 1;
        for (Encoding e : encodings) {
            for (int j = length - 1; j >= longest; j--) {
                if (e.attentionMask()[j] != 0) {
                    longest = j + 1;
                    break;
                }
            }
        }
        return encode(encodings, longest);
    }

    private static TextBatch encode(List<Encoding> encodings, int width) {
        long[] ids = new long[encodings.size() * width];
        long[] mask = new long[ids.length];
        for (int i = 0; i < encodings.size(); i++) {
            Encoding e = encodings.get(i);
            for (int j = 0; j < width; j++) {
                ids[i * width + j] = e.inputIds()[j];
                mask[i * width + j] = e.attentionMask()[j];
            }
        }
        return new TextBatch(Nd4j.createFromArray(ids).reshape(encodings.size(), width),
                Nd4j.createFromArray(mask).reshape(encodings.size(), width), null);
    }
}
