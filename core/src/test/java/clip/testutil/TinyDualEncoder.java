package clip.testutil;

import clip.layers.Init;
import clip.model.ContrastiveModel;
import clip.model.HfModels;
import clip.model.TextBatch;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** A ViT + BERT dual encoder of width 8 and random pairs for it: the model of the step-equivalence tests. */
public final class TinyDualEncoder {
    private TinyDualEncoder() {
    }

    /** @param logitBias a SigLIP bias, or null for a CLIP-loss model */
    public static ContrastiveModel model(long seed, Double logitBias) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode c = json.createObjectNode().put("model_type", "vision-text-dual-encoder").put("projection_dim", 8);
        c.putObject("vision_config").put("model_type", "vit").put("image_size", 8).put("patch_size", 4)
                .put("hidden_size", 8).put("num_hidden_layers", 1).put("num_attention_heads", 2).put("intermediate_size", 16);
        c.putObject("text_config").put("model_type", "bert").put("vocab_size", 20).put("hidden_size", 8)
                .put("num_hidden_layers", 1).put("num_attention_heads", 2).put("intermediate_size", 16)
                .put("max_position_embeddings", 16);
        return HfModels.build(c, "test", new Init(seed, DataType.FLOAT, 0.3), logitBias).asContrastive();
    }

    /** [batch, 3, 8, 8] standard normal pixels. */
    public static INDArray pixels(long seed, int batch) {
        return new Init(seed, DataType.FLOAT, 1.0).normal(batch, 3, 8, 8).value();
    }

    /** Captions of 3 to seq tokens from a 20-word vocabulary, padded to seq. */
    public static TextBatch text(long seed, int batch, int seq) {
        SplittableRandom r = new SplittableRandom(seed);
        long[] ids = new long[batch * seq];
        long[] mask = new long[ids.length];
        for (int i = 0; i < batch; i++) {
            int len = 3 + r.nextInt(seq - 2);
            for (int j = 0; j < seq; j++) {
                ids[i * seq + j] = j < len ? 1 + r.nextInt(19) : 0;
                mask[i * seq + j] = j < len ? 1 : 0;
            }
        }
        return new TextBatch(Nd4j.createFromArray(ids).reshape(batch, seq), Nd4j.createFromArray(mask).reshape(batch, seq), null);
    }
}
