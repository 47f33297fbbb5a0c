package clip.model;

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
}
