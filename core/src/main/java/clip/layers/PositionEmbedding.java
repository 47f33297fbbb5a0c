package clip.layers;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Absolute positions [maxPositions, D]; a sequence of length T uses rows 0..T-1. Learned ones are
 * a parameter and only the rows used receive gradient; fixed sinusoidal ones (DistilBERT's
 * {@code sinusoidal_pos_embds}) are a buffer: saved and loaded under the same name, never trained.
 */
public final class PositionEmbedding extends Module {
    private final Parameter weight;
    private final INDArray fixed;
    private int length;

    public PositionEmbedding(int maxPositions, int dim, Init init) {
        this.weight = param("weight", init.normal(maxPositions, dim));
        this.fixed = null;
    }

    private PositionEmbedding(INDArray fixed) {
        this.weight = null;
        this.fixed = buffer("weight", fixed);
    }

    /** Read at each use: a parameter's value array may be replaced (a twin sharing the model's weights). */
    private INDArray table() {
        return weight != null ? weight.value() : fixed;
    }

    /** HF's create_sinusoidal_embeddings: sin at even columns, cos at odd, angle pos / 10000^(2 floor(j/2) / D). */
    public static PositionEmbedding sinusoidal(int maxPositions, int dim, DataType type) {
        double[] values = new double[maxPositions * dim];
        for (int pos = 0; pos < maxPositions; pos++) {
            for (int j = 0; j < dim; j++) {
                double angle = pos / Math.pow(10000, 2.0 * (j / 2) / dim);
                values[pos * dim + j] = j % 2 == 0 ? Math.sin(angle) : Math.cos(angle);
            }
        }
        return new PositionEmbedding(Nd4j.createFromArray(values).reshape(maxPositions, dim).castTo(type));
    }

    /** Adds positions 0..T-1 to x [B, T, D] in place. */
    public INDArray addTo(INDArray x) {
        INDArray table = table();
        length = (int) x.size(1);
        if (length > table.size(0)) {
            throw new IllegalArgumentException("sequence of " + length + " tokens exceeds the "
                    + table.size(0) + " position embeddings");
        }
        INDArray rows = table.get(NDArrayIndex.interval(0, length), NDArrayIndex.all()).reshape(1, -1);
        RowMajor.reshape(x, x.size(0), -1).addiRowVector(rows);
        return x;
    }

    public void backward(INDArray dx) {
        if (weight != null && weight.trainable()) {
            ColumnSums.addTo(dx, weight.grad().get(NDArrayIndex.interval(0, length), NDArrayIndex.all()));
        }
    }
}
