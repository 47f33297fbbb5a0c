package clip.layers;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Picks one token per sequence ([B, T, D] -> [B, D]): CLS pooling (position 0) or CLIP's
 * end-of-text pooling (a position per row). Its backward puts the gradient back at those
 * positions and zeros elsewhere.
 */
public final class TokenPooling {
    private int[] positions;
    private long[] shape;

    public INDArray forward(INDArray x, int[] positionPerRow) {
        positions = positionPerRow;
        shape = x.shape();
        INDArray out = Nd4j.create(x.dataType(), x.size(0), x.size(2));
        for (int b = 0; b < positions.length; b++) {
            out.getRow(b).assign(x.get(NDArrayIndex.point(b), NDArrayIndex.point(positions[b]), NDArrayIndex.all()));
        }
        return out;
    }

    public INDArray backward(INDArray dy) {
        INDArray dx = Nd4j.zeros(dy.dataType(), shape);
        for (int b = 0; b < positions.length; b++) {
            dx.get(NDArrayIndex.point(b), NDArrayIndex.point(positions[b]), NDArrayIndex.all()).assign(dy.getRow(b));
        }
        return dx;
    }

    /** Rows {@code rows[b]} of x [B, T, D] as a new [B, 1, D]. */
    public static INDArray select(INDArray x, int[] rows) {
        return new TokenPooling().forward(x, rows).reshape('c', x.size(0), 1, x.size(2));
    }

    /** {@code dx[b, rows[b]] += d[b]} for dx [B, T, D] and d [B, 1, D]. */
    public static void addAt(INDArray dx, int[] rows, INDArray d) {
        for (int b = 0; b < rows.length; b++) {
            dx.get(NDArrayIndex.point(b), NDArrayIndex.point(rows[b]), NDArrayIndex.all())
                    .addi(d.get(NDArrayIndex.point(b), NDArrayIndex.point(0), NDArrayIndex.all()));
        }
    }

    public static int[] first(long batch) {
        return new int[(int) batch];
    }

    /** HF 4.30 CLIP pools at argmax(input_ids): the end-of-text id is the largest in the vocabulary. */
    public static int[] argmax(INDArray ids) {
        return ids.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).argMax(1).toIntVector();
    }
}
