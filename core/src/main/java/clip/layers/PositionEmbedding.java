package clip.layers;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Learned absolute positions [maxPositions, D]; a sequence of length T uses rows 0..T-1, and
 * only those rows receive gradient.
 */
public final class PositionEmbedding extends Module {
    private final Parameter weight;
    private int length;

    public PositionEmbedding(int maxPositions, int dim, Init init) {
        this.weight = param("weight", init.normal(maxPositions, dim));
    }

    /** Adds positions 0..T-1 to x [B, T, D] in place. */
    public INDArray addTo(INDArray x) {
        length = (int) x.size(1);
        if (length > weight.value().size(0)) {
            throw new IllegalArgumentException("sequence of " + length + " tokens exceeds the "
                    + weight.value().size(0) + " position embeddings");
        }
        INDArray rows = weight.value().get(NDArrayIndex.interval(0, length), NDArrayIndex.all()).reshape(1, -1);
        x.reshape('c', x.size(0), -1).addiRowVector(rows);
        return x;
    }

    public void backward(INDArray dx) {
        if (weight.trainable()) {
            ColumnSums.addTo(dx, weight.grad().get(NDArrayIndex.interval(0, length), NDArrayIndex.all()));
        }
    }
}
