package clip.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class InitTest {
    @Test
    void aSeedGivesTheSameDrawsAtTheGivenScale() {
        INDArray a = new Init(5, DataType.FLOAT, 0.02).normal(300, 7).value();
        INDArray b = new Init(5, DataType.FLOAT, 0.02).normal(300, 7).value();
        assertArrayEquals(a.data().asFloat(), b.data().asFloat());
        double std = a.stdNumber().doubleValue();
        assertTrue(std > 0.018 && std < 0.022, "std " + std);
    }

    @Test
    void forLoadingGivesZerosOfTheShapeAndTypeInsteadOfDraws() {
        Init init = Init.forLoading(DataType.DOUBLE);
        INDArray w = init.normal(4, 3).value();
        assertArrayEquals(new long[] {4, 3}, w.shape());
        assertEquals(DataType.DOUBLE, w.dataType());
        assertEquals(0.0, w.amaxNumber().doubleValue());
        assertEquals(1.0, init.ones(2).value().minNumber().doubleValue(), "gains are still ones");
    }
}
