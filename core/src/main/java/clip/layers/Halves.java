package clip.layers;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;

/**
 * Java kernels over large arrays in two halves, the second on the common pool, as ND4J's own
 * element-wise ops use its OpenMP threads: the products use both cores, and a single-threaded
 * GELU, LayerNorm or AdamW between them left one idle. Only when {@link NativeThreads#count} is
 * two or more, so not inside a step cut into parts (one per core, {@link NativeThreads#single}),
 * whose threads already keep every core busy.
 * The cut falls on a multiple of the kernel's chunk and every element sees the same operations
 * whichever thread runs it, so the bits do not depend on it.
 */
public final class Halves {
    /** Work items {@code [from, to)} of a kernel. */
    public interface Range {
        void run(int from, int to);
    }

    private Halves() {
    }

    /**
     * Runs {@code range} over {@code [0, n)}: whole on this thread when {@code n} is below
     * {@code min} (a hand-off costs tens of microseconds), else in two halves cut at a multiple of {@code grain}.
     */
    public static void run(int n, int grain, int min, Range range) {
        int half = n / 2 / grain * grain;
        if (n < min || half == 0 || NativeThreads.count() < 2) {
            range.run(0, n);
            return;
        }
        ForkJoinTask<?> second = ForkJoinPool.commonPool().submit(() -> range.run(half, n));
        try {
            range.run(0, half);
        } finally {
            second.join();
        }
    }
}
