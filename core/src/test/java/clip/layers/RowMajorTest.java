package clip.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import clip.optim.AdamW;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Every piece of code that walks a buffer itself goes through {@link RowMajor}, which starts at
 * the array's own first element: checked on views that start at a non-zero offset into a larger
 * buffer, where ND4J's two raw accessors disagree by that offset.
 */
class RowMajorTest {
    private static INDArray grid(DataType type) {
        return Nd4j.arange(0, 48).castTo(type).reshape(12, 4);
    }

    /** Rows [from, from + count) of {@code x}: a packed view whose first element is at offset 4 * from. */
    private static INDArray rows(INDArray x, long from, long count) {
        INDArray v = x.get(NDArrayIndex.interval(from, from + count), NDArrayIndex.all());
        assertEquals(4 * from, v.offset(), "a view at a non-zero offset");
        return v;
    }

    @Test
    void buffersStartAtTheViewsFirstElement() {
        INDArray f = rows(grid(DataType.FLOAT), 3, 2);
        assertEquals(12f, RowMajor.floats(f).get(0));
        assertEquals(19f, RowMajor.floats(f).get(7));
        assertEquals(8, RowMajor.floats(f).capacity());
        INDArray d = rows(grid(DataType.DOUBLE), 5, 1);
        assertEquals(20.0, RowMajor.doubles(d).get(0));
    }

    @Test
    void reshapesAsNd4jDoesIntoViewsOfTheSameElements() {
        INDArray whole = grid(DataType.FLOAT);
        INDArray view = rows(whole, 3, 6);  // [6, 4] at offset 12
        for (long[] shape : new long[][] {{24}, {2, 3, 4}, {-1, 8}, {3, -1}, {1, 24, 1}, {6, 4}}) {
            INDArray ours = RowMajor.reshape(view, shape);
            INDArray nd4j = view.reshape('c', shape);
            assertArrayEquals(nd4j.shape(), ours.shape(), java.util.Arrays.toString(shape));
            assertArrayEquals(nd4j.stride(), ours.stride(), java.util.Arrays.toString(shape));
            assertEquals(nd4j, ours, java.util.Arrays.toString(shape));
        }
        RowMajor.reshape(view, 2, 12).putScalar(0, 1, -5f);
        assertEquals(-5f, whole.getFloat(3, 1), "the reshape writes through to the array it views");
        INDArray flat = RowMajor.reshape(whole, 48);
        assertEquals(whole.reshape('c', new long[] {48}), flat, "an array that owns its buffer");
        flat.putScalar(47, -7f);
        assertEquals(-7f, whole.getFloat(11, 3), "the reshape of a whole buffer writes through too");
        // a column is not packed: ND4J's reshape copies it
        INDArray column = whole.getColumn(1);
        assertEquals(column.reshape('c', 3, 4), RowMajor.reshape(column, 3, 4));
        assertThrows(RuntimeException.class, () -> RowMajor.reshape(view, 5, 5));
    }

    @Test
    void refusesAStridedView() {
        INDArray column = grid(DataType.FLOAT).getColumn(1);
        assertThrows(IllegalArgumentException.class, () -> RowMajor.floats(column));
    }

    @Test
    void productsReadAndWriteViews() {
        INDArray a = rows(grid(DataType.FLOAT), 2, 3);          // [3, 4] at offset 8
        INDArray b = rows(grid(DataType.FLOAT).addi(1), 4, 4);  // [4, 4] at offset 16
        INDArray whole = Nd4j.zeros(DataType.FLOAT, 10, 4);
        INDArray c = rows(whole, 5, 3);                         // [3, 4] at offset 20
        Blas.gemm(a, false, b, true, 1.0, 0.0, c);
        assertEquals(a.dup().mmul(b.dup().transpose()), c.dup());
        assertEquals(0.0, whole.get(NDArrayIndex.interval(0, 5), NDArrayIndex.all()).sumNumber().doubleValue());
    }

    @Test
    void columnSumsAddIntoAView() {
        INDArray grad = Nd4j.zeros(DataType.FLOAT, 6, 4);
        INDArray row = rows(grad, 4, 1).reshape(4);
        INDArray dy = rows(grid(DataType.FLOAT), 1, 3);
        ColumnSums.addTo(dy, row);
        assertArrayEquals(new float[] {4 + 8 + 12, 5 + 9 + 13, 6 + 10 + 14, 7 + 11 + 15},
                grad.getRow(4).toFloatVector());
        assertEquals(0.0, grad.getRow(3).sumNumber().doubleValue());
    }

    @Test
    void adamWUpdatesAViewAsItUpdatesACopy() {
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            INDArray[] views = new INDArray[4];
            INDArray[] copies = new INDArray[4];
            for (int i = 0; i < 4; i++) {
                INDArray backing = grid(type).addi(i).divi(10);
                views[i] = rows(backing, 2 + i, 2);
                copies[i] = views[i].dup();
            }
            AdamW adam = new AdamW(0.9, 0.98, 1e-6);
            adam.update(views[0], views[1], views[2], views[3], 1e-2, 0.1, 3);
            adam.update(copies[0], copies[1], copies[2], copies[3], 1e-2, 0.1, 3);
            for (int i = 0; i < 4; i++) {
                assertEquals(copies[i], views[i].dup(), type + " operand " + i);
            }
        }
    }
}
