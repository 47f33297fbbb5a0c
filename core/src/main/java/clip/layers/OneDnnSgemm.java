package clip.layers;

import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.nd4j.nativeblas.NativeOps;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * Float products through oneDNN's {@code dnnl_sgemm}, which takes row-major operands as ours are.
 * Why not the OpenBLAS 0.3.19 that ND4J links: at the training step's shapes (a few hundred to a
 * few thousand rows by widths of 192 to 3,072) oneDNN's just-in-time kernels ran the products
 * 10-40% faster on one core, most of all the weight gradients (a transposed operand with the long
 * inner sum over rows), where OpenBLAS lost a quarter of its rate; the whole step ran 5-12%
 * faster (BENCHMARKS.md, "Eighteenth session").
 *
 * <p>oneDNN's threads are OpenMP's: the libgomp that ND4J loads, which oneDNN's library shares by
 * its soname. OpenMP's thread count is a setting of each calling thread, not of the process,
 * so each call first gives the calling thread the count that {@link NativeThreads} keeps for
 * products (one while parts of the batch run side by side, every core otherwise). With one
 * thread a product's bits depend only on its operands and shape; with more, oneDNN may also cut
 * the inner sum between them, so bits are the same for the same thread count, as for a run.
 */
final class OneDnnSgemm {
    private static final NativeOps OPENMP;

    static {
        Loader.load(dnnl.class);
        OPENMP = NativeOpsHolder.getInstance().getDeviceNativeOps();
    }

    private OneDnnSgemm() {
    }

    /** {@code c = alpha op(a) op(b) + beta c} on {@code threads} threads; the pointers are at each operand's first element. */
    static void sgemm(int threads, boolean transA, boolean transB, int m, int n, int k, float alpha,
                      FloatPointer a, int lda, FloatPointer b, int ldb, float beta, FloatPointer c, int ldc) {
        if (OPENMP.ompGetMaxThreads() != threads) {
            OPENMP.setOmpNumThreads(threads);
        }
        int status = dnnl.dnnl_sgemm(flag(transA), flag(transB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        if (status != dnnl.dnnl_success) {
            throw new IllegalStateException("oneDNN's sgemm refused a [" + m + ", " + k + "] x [" + k + ", " + n
                    + "] product (transposed: " + transA + ", " + transB + "; leading dimensions " + lda + ", " + ldb
                    + ", " + ldc + "): status " + status);
        }
    }

    private static byte flag(boolean transpose) {
        return (byte) (transpose ? 'T' : 'N');
    }
}
