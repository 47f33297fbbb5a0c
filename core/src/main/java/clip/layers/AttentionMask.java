package clip.layers;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Broadcast;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Additive attention bias [B, Tq, T] (Tq = T, or one chosen query row per example): 0 where a
 * query may attend to a key, a large negative number where it may not (padding keys; future keys under a causal mask). After softmax the
 * masked probabilities are exactly zero, as in HF, which adds finfo.min.
 */
public final class AttentionMask {
    /** [B, Tq * T]: each example's rows of query-by-key biases. */
    private final INDArray bias;
    private final long keys;

    private AttentionMask(INDArray bias, long keys) {
        this.bias = bias;
        this.keys = keys;
    }

    /**
     * @param keyMask [B, T] with 1 for real tokens and 0 for padding, or null for none
     * @param causal whether query i may only see keys j <= i
     * @return null when nothing is masked
     */
    public static AttentionMask of(INDArray keyMask, boolean causal, int batch, int seq, DataType dataType) {
        if (keyMask == null && !causal) {
            return null;
        }
        double negative = dataType == DataType.DOUBLE ? -1e300 : -Float.MAX_VALUE;
        double[] b = new double[batch * seq * seq];
        double[] keep = keyMask == null ? null : keyMask.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        for (int n = 0; n < batch; n++) {
            for (int i = 0; i < seq; i++) {
                for (int j = 0; j < seq; j++) {
                    boolean masked = (causal && j > i) || (keep != null && keep[n * seq + j] == 0);
                    b[(n * seq + i) * seq + j] = masked ? negative : 0;
                }
            }
        }
        return new AttentionMask(Nd4j.createFromArray(b).castTo(dataType).reshape(batch, seq * seq), seq);
    }

    /**
     * The bias of one query row per example, [B, 1, T]: row {@code rows[b]} of example b's (for
     * attention computed only at those rows).
     */
    public AttentionMask forRows(int[] rows) {
        int seq = (int) keys;
        int[] picked = new int[rows.length];
        for (int b = 0; b < rows.length; b++) {
            picked[b] = b * seq + rows[b];
        }
        // One gather of the [B * Tq, T] rows, not a view, an interval and a copy per example (which, with
        // addTo, took 3-4% of a pinned caption-embedding task's samples).
        return new AttentionMask(Nd4j.pullRows(RowMajor.reshape(bias, (long) rows.length * seq, seq), 1, picked), seq);
    }

    /** Adds the bias to scores laid out [B*H, Tq, T] (contiguous), Tq the query rows it was made for. */
    void addTo(INDArray scores, int batch, int heads) {
        // One broadcast over the heads: a row-by-row add costs a native call and a view per example.
        INDArray byHead = RowMajor.reshape(scores, batch, heads, bias.size(1));
        Broadcast.add(byHead, bias, byHead, 0, 2);
    }
}
