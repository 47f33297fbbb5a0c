package clip.model;

import org.nd4j.linalg.api.ndarray.INDArray;

/** A tower's output gradient arrives at the last hidden state, the pooled vector, or both. */
final class TowerGradient {
    private TowerGradient() {
    }

    /** The output gradient after {@link Tower#forwardPooled}, which made no last hidden state to take one for. */
    static INDArray pooledOnly(INDArray dLast, INDArray dPooled) {
        if (dLast != null) {
            throw new IllegalStateException("the last forward pass computed the pooled output only");
        }
        return dPooled;
    }

    /** d(last hidden state) + the pooling path's gradient, either of which may be absent. */
    static INDArray merge(INDArray dLast, INDArray fromPooled) {
        if (fromPooled == null) {
            return dLast;
        }
        return dLast == null ? fromPooled : fromPooled.addi(dLast);
    }
}
