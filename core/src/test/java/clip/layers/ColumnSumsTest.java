package clip.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class ColumnSumsTest {
    @Test
    void addsColumnSumsAndProductSumsAsNd4jComputesThem() {
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            Nd4j.getRandom().setSeed(3);
            INDArray a = Nd4j.rand(type, 37, 11).subi(0.5);
            INDArray b = Nd4j.rand(type, 37, 11);
            INDArray into = Nd4j.rand(type, 11);
            INDArray expected = into.add(a.sum(0)).addi(a.mul(b).sum(0));
            ColumnSums.addTo(a, into);
            ColumnSums.addProductTo(a, b, into);
            assertEquals(0, expected.sub(into).amaxNumber().doubleValue(), 1e-5, type.toString());
        }
    }

    @Test
    void takesViewsAndThreeAxesAsRowsOfTheGradientsLength() {
        INDArray x = Nd4j.rand(DataType.FLOAT, 4, 6, 5);
        INDArray strided = Nd4j.rand(DataType.FLOAT, 30, 8).get(NDArrayIndex.all(), NDArrayIndex.interval(1, 6));
        INDArray grad = Nd4j.zeros(DataType.FLOAT, 10, 5);
        INDArray firstSix = grad.get(NDArrayIndex.interval(0, 6), NDArrayIndex.all());
        ColumnSums.addTo(x, firstSix);
        assertEquals(0, x.sum(0).sub(grad.get(NDArrayIndex.interval(0, 6), NDArrayIndex.all())).amaxNumber().doubleValue(), 1e-5);
        assertEquals(0, grad.get(NDArrayIndex.interval(6, 10), NDArrayIndex.all()).amaxNumber().doubleValue());
        INDArray into = Nd4j.zeros(DataType.FLOAT, 5);
        ColumnSums.addTo(strided, into);
        assertEquals(0, strided.sum(0).sub(into).amaxNumber().doubleValue(), 1e-5);
    }
}
