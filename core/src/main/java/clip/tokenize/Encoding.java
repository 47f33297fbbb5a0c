package clip.tokenize;

/**
 * Token ids of one text (or text pair), with the attention mask (1 = token, 0 = padding) and
 * the token type ids (BERT segment A = 0, B = 1).
 */
public record Encoding(int[] inputIds, int[] attentionMask, int[] tokenTypeIds) {
    public int length() {
        return inputIds.length;
    }
}
