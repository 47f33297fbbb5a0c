package clip.layers;

import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * The thread count a step's matrix products and Java kernels may use, kept as OpenBLAS's
 * process-wide setting: {@link OneDnnSgemm} gives it to each thread that calls oneDNN, and
 * {@link Halves} splits a kernel over the common pool only when it is two or more. A step that
 * runs one part of the batch per core sets it to one for its duration: two parts each asking for
 * two threads would put four on two cores.
 *
 * <p>ND4J's own op pool cannot be told: {@code Environment.setMaxThreads} does nothing in
 * 1.0.0-M2.1 (its body is commented out in libnd4j), so its {@code maxThreads()} stays what the
 * process started with and cannot say whether a step runs in parts.
 */
public final class NativeThreads implements AutoCloseable {
    private final int saved;

    private NativeThreads(int saved) {
        this.saved = saved;
    }

    /** Threads the products and kernels of a step may use now. */
    public static int count() {
        return openblas_nolapack.blas_get_num_threads();
    }

    /** Sets the count to one until {@link #close}, which restores what it was. */
    public static NativeThreads single() {
        NativeThreads restore = new NativeThreads(count());
        openblas_nolapack.blas_set_num_threads(1);
        return restore;
    }

    @Override
    public void close() {
        openblas_nolapack.blas_set_num_threads(saved);
    }
}
