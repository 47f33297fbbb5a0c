package clip.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.optim.AdamW;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/** Kernels run in two halves give the bits they give on one thread. */
class HalvesTest {
    private static INDArray randn(long seed, long... shape) {
        return new Init(seed, DataType.FLOAT, 1.0).normal(shape).value();
    }

    private static float[] onOneThread(Supplier<INDArray> kernel) {
        try (NativeThreads ignored = NativeThreads.single()) {
            return kernel.get().data().asFloat();
        }
    }

    private static void assertSameBits(Supplier<INDArray> kernel) {
        assertTrue(NativeThreads.count() >= 2 || Runtime.getRuntime().availableProcessors() < 2,
                "the products and kernels have threads to split over");
        assertArrayEquals(onOneThread(kernel), kernel.get().data().asFloat());
    }

    @Test
    void insideOneThreadARangeRunsWhole() {
        List<String> ranges = Collections.synchronizedList(new ArrayList<>());
        Halves.Range record = (from, to) -> ranges.add(from + "-" + to);
        try (NativeThreads single = NativeThreads.single()) {
            Halves.run(1 << 20, 4096, 1 << 16, record);
        }
        assertEquals(List.of("0-1048576"), ranges, "inside NativeThreads.single(), as while a step's parts run");
        assertTrue(NativeThreads.count() >= 2 || Runtime.getRuntime().availableProcessors() < 2,
                "the products and kernels have threads to split over");
        ranges.clear();
        Halves.run(1 << 20, 4096, 1 << 16, record);
        assertEquals(Set.of("0-524288", "524288-1048576"), Set.copyOf(ranges), "outside it, two halves");
    }

    @Test
    void activationsAndLayerNorm() {
        INDArray x = randn(1, 700, 384); // not a whole number of chunks
        INDArray dy = randn(2, 700, 384);
        for (ActivationKind kind : new ActivationKind[] {ActivationKind.GELU, ActivationKind.GELU_TANH, ActivationKind.QUICK_GELU}) {
            assertSameBits(() -> VectorKernels.activation(kind, x));
            assertSameBits(() -> VectorKernels.activationBackward(kind, x, dy));
        }
        INDArray gain = randn(3, 384);
        INDArray bias = randn(4, 384);
        assertSameBits(() -> {
            INDArray normalized = Nd4j.createUninitialized(DataType.FLOAT, 700, 384);
            INDArray rstd = Nd4j.createUninitialized(DataType.FLOAT, 700);
            INDArray y = Nd4j.createUninitialized(DataType.FLOAT, 700, 384);
            VectorKernels.layerNorm(x, gain, bias, 1e-5, normalized, rstd, y);
            return Nd4j.concat(0, y.reshape(-1), rstd, VectorKernels.layerNormBackward(dy, normalized, rstd, gain).reshape(-1));
        });
    }

    @Test
    void adamW() {
        assertSameBits(() -> {
            INDArray p = randn(5, 300_001);
            INDArray m = randn(6, 300_001).muli(0.1);
            INDArray v = randn(7, 300_001).muli(m);
            new AdamW(0.9, 0.98, 1e-6).update(p, randn(8, 300_001), m, Transforms.abs(v), 1e-3, 0.1, 4);
            return Nd4j.concat(0, p, m);
        });
    }
}
