package clip.model;

import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What a tower returns: every layer's hidden states (index 0 = embeddings, as HF's
 * output_hidden_states), the last hidden state, and the pooled vector [B, D].
 */
public record TowerOutput(List<INDArray> hiddenStates, INDArray lastHiddenState, INDArray pooled) {
    /** What {@link Tower#forwardPooled} returns. */
    static TowerOutput pooledOnly(INDArray pooled) {
        return new TowerOutput(List.of(), null, pooled);
    }
}
