package clip.model;

import org.nd4j.linalg.api.ndarray.INDArray;

/** One encoder of a two-tower model; {@code I} is its input (pixels or a {@link TextBatch}). */
public interface Tower<I> {
    TowerOutput forward(I input);

    /**
     * The pooled output alone (no hidden states), for training and embedding: a transformer
     * tower's last layer then computes only the pooled row of each example. {@link #backward}
     * after it takes a pooled gradient only.
     */
    default TowerOutput forwardPooled(I input) {
        return forward(input);
    }

    /**
     * Backpropagates from the last forward call into the tower's parameters.
     * @param dLastHiddenState gradient for the last hidden state, or null
     * @param dPooled gradient for the pooled output, or null
     */
    void backward(INDArray dLastHiddenState, INDArray dPooled);

    int hiddenSize();

    /** The transformer layers, for attention maps. */
    java.util.List<clip.layers.TransformerLayer> layers();
}
