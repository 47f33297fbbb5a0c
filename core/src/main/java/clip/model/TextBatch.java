package clip.model;

import clip.layers.AttentionMask;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Token ids [B, T], attention mask [B, T] (1 = token, 0 = padding; null = all tokens) and
 * token type ids [B, T] (null = all zero; BERT only).
 */
public record TextBatch(INDArray inputIds, INDArray attentionMask, INDArray tokenTypeIds) {
    public int batchSize() {
        return (int) inputIds.size(0);
    }

    public int length() {
        return (int) inputIds.size(1);
    }

    /** The padding mask as attention biases of {@code dataType}, plus the causal mask when {@code causal}. */
    AttentionMask mask(boolean causal, DataType dataType) {
        return AttentionMask.of(attentionMask, causal, batchSize(), length(), dataType);
    }
}
