package clip.layers;

import org.bytedeco.openblas.global.openblas_nolapack;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The thread counts of the two native pools a step uses, the matrix products' and ND4J's (its
 * element-wise ops). Both are process-wide settings; the products' count is kept as OpenBLAS's,
 * and {@link OneDnnSgemm} gives it to each thread that calls oneDNN. A step that runs one part of
 * the batch per core sets both to one thread for its duration: two parts each asking for two
 * threads would put four on two cores.
 */
public final class NativeThreads implements AutoCloseable {
    private final int blas;
    private final int ops;

    private NativeThreads(int blas, int ops) {
        this.blas = blas;
        this.ops = ops;
    }

    /** Sets both pools to one thread until {@link #close}, which restores what they were. */
    public static NativeThreads single() {
        NativeThreads saved = new NativeThreads(openblas_nolapack.blas_get_num_threads(), Nd4j.getEnvironment().maxThreads());
        openblas_nolapack.blas_set_num_threads(1);
        Nd4j.getEnvironment().setMaxThreads(1);
        return saved;
    }

    @Override
    public void close() {
        openblas_nolapack.blas_set_num_threads(blas);
        Nd4j.getEnvironment().setMaxThreads(ops);
    }
}
