package clip.layers;

import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Picks one token per sequence ([B, T, D] -> [B, D]): CLS pooling (position 0) or CLIP's
 * end-of-text pooling (a position per row). Its backward puts the gradient back at those
 * positions and zeros elsewhere. Packed float arrays are copied row by row through their
 * buffers: a view and a native op per example cost more than the copy (1-2% of a small step).
 */
public final class TokenPooling {
    private int[] positions;
    private long[] shape;

    public INDArray forward(INDArray x, int[] positionPerRow) {
        positions = positionPerRow;
        shape = x.shape();
        return RowMajor.reshape(select(x, positions), x.size(0), x.size(2));
    }

    public INDArray backward(INDArray dy) {
        INDArray dx = Nd4j.zeros(dy.dataType(), shape);
        addAt(dx, positions, dy);
        return dx;
    }

    /** Rows {@code rows[b]} of x [B, T, D] as a new [B, 1, D]. */
    public static INDArray select(INDArray x, int[] rows) {
        long width = x.size(2);
        INDArray out = Nd4j.createUninitialized(x.dataType(), x.size(0), 1, width);
        if (packedFloats(x, out)) {
            FloatBuffer from = RowMajor.floats(x);
            FloatBuffer to = RowMajor.floats(out);
            float[] row = new float[(int) width];
            for (int b = 0; b < rows.length; b++) {
                from.get(rowStart(x, b, rows[b]), row);
                to.put(b * (int) width, row);
            }
            return out;
        }
        for (int b = 0; b < rows.length; b++) {
            out.get(NDArrayIndex.point(b), NDArrayIndex.point(0), NDArrayIndex.all())
                    .assign(x.get(NDArrayIndex.point(b), NDArrayIndex.point(rows[b]), NDArrayIndex.all()));
        }
        return out;
    }

    /** {@code dx[b, rows[b]] += d[b]} for dx [B, T, D] and d [B, D] or [B, 1, D]. */
    public static void addAt(INDArray dx, int[] rows, INDArray d) {
        int width = (int) dx.size(2);
        if (packedFloats(dx, d)) {
            FloatBuffer into = RowMajor.floats(dx);
            FloatBuffer from = RowMajor.floats(d);
            float[] row = new float[width];
            for (int b = 0; b < rows.length; b++) {
                int at = rowStart(dx, b, rows[b]);
                for (int i = 0; i < width; i++) {
                    row[i] = into.get(at + i) + from.get(b * width + i);
                }
                into.put(at, row);
            }
            return;
        }
        INDArray byRow = RowMajor.reshape(d, d.size(0), width);
        for (int b = 0; b < rows.length; b++) {
            dx.get(NDArrayIndex.point(b), NDArrayIndex.point(rows[b]), NDArrayIndex.all()).addi(byRow.getRow(b));
        }
    }

    private static boolean packedFloats(INDArray a, INDArray b) {
        return a.dataType() == DataType.FLOAT && b.dataType() == DataType.FLOAT && RowMajor.isPacked(a) && RowMajor.isPacked(b);
    }

    private static int rowStart(INDArray x, int example, int row) {
        return (int) ((example * x.size(1) + row) * x.size(2));
    }

    public static int[] first(long batch) {
        return new int[(int) batch];
    }

    /** HF 4.30 CLIP pools at argmax(input_ids): the end-of-text id is the largest in the vocabulary. */
    public static int[] argmax(INDArray ids) {
        return ids.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).argMax(1).toIntVector();
    }
}
