package clip.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.layers.VectorMath;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** The Vector API's AdamW against the array path it replaces: the same bits, on views too. */
class AdamWVectorsTest {
    private static final AdamW.FloatStep STEP = new AdamW.FloatStep(0.9f, 0.98f, 0.1f, 0.02f, 0.14f, 1e-6f, -3e-4f, 0.99998f);

    /** Lengths around the vector width, and one over the two-thread threshold with a ragged half. */
    @ParameterizedTest
    @ValueSource(ints = {1, 7, 16, 19, 4101, (1 << 18) + 37})
    void sameBitsAsTheArrayPath(int n) {
        assertTrue(VectorMath.moduleLoaded(), "the tests run with the Vector API");
        INDArray[] vector = state(n, 11);
        INDArray[] arrays = state(n, 11);
        for (int step = 0; step < 3; step++) {
            AdamW.updateFloats(vector[0], vector[1], vector[2], vector[3], STEP, true);
            AdamW.updateFloats(arrays[0], arrays[1], arrays[2], arrays[3], STEP, false);
        }
        for (int i = 0; i < 4; i++) {
            assertArrayEquals(arrays[i].toFloatVector(), vector[i].toFloatVector(), "buffer " + i + " of " + n);
        }
        assertTrue(vector[0].neq(state(n, 11)[0]).any(), "the parameters moved");
    }

    /** A segment in the middle of a larger buffer (a parameter-server shard's slice): only it changes. */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void aViewUpdatesOnlyItsElements(boolean vectorApi) {
        INDArray[] whole = state(1000, 5);
        INDArray[] before = state(1000, 5);
        INDArray[] expected = state(1000, 5);
        INDArray[] view = new INDArray[4];
        for (int i = 0; i < 4; i++) {
            view[i] = whole[i].get(NDArrayIndex.interval(101, 870));
        }
        AdamW.updateFloats(view[0], view[1], view[2], view[3], STEP, vectorApi);
        INDArray[] copy = new INDArray[4];
        for (int i = 0; i < 4; i++) {
            copy[i] = expected[i].get(NDArrayIndex.interval(101, 870)).dup();
        }
        AdamW.updateFloats(copy[0], copy[1], copy[2], copy[3], STEP, !vectorApi);
        for (int i = 0; i < 4; i++) {
            assertArrayEquals(copy[i].toFloatVector(), view[i].toFloatVector(), "buffer " + i);
            assertArrayEquals(before[i].get(NDArrayIndex.interval(0, 101)).toFloatVector(),
                    whole[i].get(NDArrayIndex.interval(0, 101)).toFloatVector(), "before the view, buffer " + i);
            assertArrayEquals(before[i].get(NDArrayIndex.interval(870, 1000)).toFloatVector(),
                    whole[i].get(NDArrayIndex.interval(870, 1000)).toFloatVector(), "after the view, buffer " + i);
        }
    }

    /** Parameters, gradients, first and second moments (the last non-negative), the same for the same seed. */
    private static INDArray[] state(int n, long seed) {
        Nd4j.getRandom().setSeed(seed);
        INDArray p = Nd4j.randn(DataType.FLOAT, n);
        INDArray g = Nd4j.randn(DataType.FLOAT, n);
        INDArray m = Nd4j.randn(DataType.FLOAT, n).muli(0.1);
        INDArray v = Nd4j.rand(DataType.FLOAT, n).muli(0.01);
        return new INDArray[] {p, g, m, v};
    }
}
