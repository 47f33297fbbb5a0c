package clip.eval;

import clip.io.BadInputException;
import clip.model.HfModel;
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

    /**
     * The tokenizer files of an HF model folder: CLIP's vocab.json + merges.txt for a CLIPModel,
     * BERT's vocab.txt for a dual encoder (captions cut at {@code bertMaxLength} tokens).
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
        return bert(BertTokenizer.fromVocab(vocab), Math.min(bertMaxLength, positions));
    }

    public TextBatch encode(List<String> texts) {
        long[] ids = new long[texts.size() * length];
        long[] mask = new long[ids.length];
        for (int i = 0; i < texts.size(); i++) {
            Encoding e = tokenize.apply(texts.get(i));
            for (int j = 0; j < length; j++) {
                ids[i * length + j] = e.inputIds()[j];
                mask[i * length + j] = e.attentionMask()[j];
            }
        }
        return new TextBatch(Nd4j.createFromArray(ids).reshape(texts.size(), length),
                Nd4j.createFromArray(mask).reshape(texts.size(), length), null);
    }
}
