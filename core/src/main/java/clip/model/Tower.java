package clip.model;

import org.nd4j.linalg.api.ndarray.INDArray;

/** One encoder of a two-tower model; {@code I} is its input (pixels or a {@link TextBatch}). */
public interface Tower<I> {
    TowerOutput forward(I input);

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
