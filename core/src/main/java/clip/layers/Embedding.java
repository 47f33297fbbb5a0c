package clip.layers;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A lookup table [V, D]. The backward pass scatter-adds the output gradient into the rows
 * that were read, so rows never looked up keep an exactly zero gradient (which AdamW relies
 * on: a noise-sized gradient would move them by ~lr).
 */
public final class Embedding extends Module {
    private final Parameter weight;
    private final int dim;
    private INDArray indices;

    public Embedding(int rows, int dim, Init init) {
        this.dim = dim;
        this.weight = param("weight", init.normal(rows, dim));
    }

    /** @param ids any shape of integer ids; returns [..., D] */
    public INDArray forward(INDArray ids) {
        indices = ids.reshape(ids.length()).castTo(DataType.INT);
        long rows = weight.value().size(0);
        long max = indices.maxNumber().longValue();
        long min = indices.minNumber().longValue();
        if (min < 0 || max >= rows) {
            throw new IllegalArgumentException("id " + (min < 0 ? min : max) + " outside the table of " + rows + " rows");
        }
        // One native gather: getRows copies row by row, a native call and a view per token.
        INDArray out = Nd4j.pullRows(weight.value(), 1, indices.toIntVector());
        return RowMajor.reshape(out, Linear.outShape(withExtraAxis(ids.shape()), dim));
    }

    public void backward(INDArray dy) {
        if (!weight.trainable()) {
            return;
        }
        // ND4J's ScatterAdd drops repeated indices; adding row by row through ND4J costs a native
        // call per token, so the rows are added through the buffers directly.
        weight.addRows(indices.toIntVector(), RowMajor.reshape(dy, indices.length(), dim).dup('c'));
    }

    private static long[] withExtraAxis(long[] shape) {
        long[] s = java.util.Arrays.copyOf(shape, shape.length + 1);
        s[shape.length] = 1;
        return s;
    }
}
