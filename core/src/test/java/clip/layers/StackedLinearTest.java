package clip.layers;

import static clip.layers.LayerGradientTest.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

class StackedLinearTest {
    private static Linear[] layers(DataType type) {
        Init init = new Init(3, type, 0.5);
        Linear[] layers = {new Linear(6, 4, true, init), new Linear(6, 3, true, init), new Linear(6, 5, true, init)};
        for (Linear l : layers) {
            l.bias().value().assign(randn(l.out(), l.out()).castTo(type)); // biases start at zero: make them count
        }
        return layers;
    }

    private static INDArray columns(INDArray y, long from, long to) {
        return y.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(from, to));
    }

    /** The stacked pass equals each layer's own: outputs side by side, dx summed, each layer's dW and db. */
    @Test
    void equalsTheLayersOneByOne() {
        for (DataType type : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
            double eps = type == DataType.DOUBLE ? 1e-12 : 1e-5;
            Linear[] separate = layers(type);
            Linear[] stackedLayers = layers(type);
            StackedLinear stacked = new StackedLinear(stackedLayers);
            INDArray x = randn(11, 2, 3, 6).castTo(type);
            INDArray dy = randn(12, 2, 3, 12).castTo(type);
            assertTrue(stacked.applies(x));
            INDArray y = stacked.forward(x);
            INDArray dx = stacked.backward(dy);
            INDArray dxSum = null;
            long column = 0;
            for (int i = 0; i < 3; i++) {
                long next = column + separate[i].out();
                assertTrue(columns(y, column, next).equalsWithEps(separate[i].forward(x), eps), type + " output " + i);
                INDArray dxi = separate[i].backward(columns(dy, column, next).dup());
                dxSum = dxSum == null ? dxi : dxSum.add(dxi);
                assertTrue(stackedLayers[i].weight().grad().equalsWithEps(separate[i].weight().grad(), eps), type + " dW " + i);
                assertTrue(stackedLayers[i].bias().grad().equalsWithEps(separate[i].bias().grad(), eps), type + " db " + i);
                column = next;
            }
            assertTrue(dx.equalsWithEps(dxSum, eps), type + " dx");
        }
    }

    @Test
    void frozenLayersGetNoGradient() {
        Linear[] layers = layers(DataType.DOUBLE);
        layers[1].weight().setTrainable(false);
        layers[1].bias().setTrainable(false);
        StackedLinear stacked = new StackedLinear(layers);
        stacked.forward(randn(11, 2, 3, 6));
        stacked.backward(randn(12, 2, 3, 12));
        assertFalse(layers[1].weight().hasGrad());
        assertFalse(layers[1].bias().hasGrad());
        assertTrue(layers[2].weight().grad().amaxNumber().doubleValue() > 0);
    }

    /** Each forward pass stacks the weights as they are then, so an optimizer's update in place is seen. */
    @Test
    void readsTheWeightsAtEachPass() {
        Linear[] layers = layers(DataType.DOUBLE);
        StackedLinear stacked = new StackedLinear(layers);
        INDArray x = randn(11, 2, 3, 6);
        INDArray before = stacked.forward(x).dup();
        layers[2].weight().value().muli(2);
        INDArray after = stacked.forward(x);
        assertTrue(columns(after, 0, 7).equalsWithEps(columns(before, 0, 7), 0));
        assertEquals(columns(after, 7, 12).sub(layers[2].bias().value()).getDouble(0, 0, 0),
                2 * columns(before, 7, 12).sub(layers[2].bias().value()).getDouble(0, 0, 0), 1e-12);
    }

    @Test
    void layersOfOtherInputsCannotBeStacked() {
        Init init = new Init(3, DataType.DOUBLE, 0.5);
        assertThrows(IllegalArgumentException.class,
                () -> new StackedLinear(new Linear(6, 4, true, init), new Linear(5, 4, true, init)));
        assertThrows(IllegalArgumentException.class,
                () -> new StackedLinear(new Linear(6, 4, true, init), new Linear(6, 4, false, init)));
    }
}
