package clip.layers;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Sums over the rows of a [rows, cols] array, added into a gradient of [cols]: what bias and
 * LayerNorm gradients need. One pass over the rows in Java: ND4J's reduction along dimension 0
 * of a row-major array measured ~6x slower here (5.9 ms against 0.9 ms for 2080 x 768), and it
 * was 7% of a training step. Float arrays go through the vector kernel (float partial sums over
 * short runs of rows); the totals are kept in double.
 */
final class ColumnSums {
    private ColumnSums() {
    }

    /** {@code into[c] += sum_r m[r, c]}. */
    static void addTo(INDArray m, INDArray into) {
        add(m, null, into);
    }

    /** {@code into[c] += sum_r a[r, c] * b[r, c]}, without materialising the product. */
    static void addProductTo(INDArray a, INDArray b, INDArray into) {
        add(a, b, into);
    }

    private static void add(INDArray a, INDArray b, INDArray into) {
        int cols = (int) into.length();
        if (a.length() % cols != 0 || (b != null && b.length() != a.length())) {
            throw new IllegalArgumentException("cannot sum " + java.util.Arrays.toString(a.shape()) + " into " + cols + " columns");
        }
        int rows = (int) (a.length() / cols);
        a = packed(a);
        b = b == null ? null : packed(b);
        double[] acc = new double[cols];
        if (VectorMath.applies(a) && (b == null || VectorMath.applies(b))) {
            VectorKernels.addColumnSums(a, b, acc);
        } else {
            INDArray ad = a.castTo(DataType.DOUBLE);
            INDArray bd = b == null ? null : b.castTo(DataType.DOUBLE);
            DoubleBuffer da = RowMajor.doubles(ad);
            DoubleBuffer db = bd == null ? null : RowMajor.doubles(bd);
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    double v = da.get(r * cols + c);
                    acc[c] += db == null ? v : v * db.get(r * cols + c);
                }
            }
        }
        if (into.dataType() == DataType.FLOAT && RowMajor.isPacked(into)) {
            FloatBuffer out = RowMajor.floats(into);
            for (int c = 0; c < cols; c++) {
                out.put(c, (float) (out.get(c) + acc[c]));
            }
        } else {
            into.addi(org.nd4j.linalg.factory.Nd4j.createFromArray(acc).castTo(into.dataType()).reshape(into.shape()));
        }
    }

    private static INDArray packed(INDArray m) {
        return RowMajor.isPacked(m) ? m : m.dup('c');
    }
}
