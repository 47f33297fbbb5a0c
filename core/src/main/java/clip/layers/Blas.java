package clip.layers;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Matrix products of row-major arrays. On the CPU backend they go straight to a native library:
 * float products to oneDNN's ({@link OneDnnSgemm}), double ones (gradient checks) to the OpenBLAS
 * that ND4J itself links. ND4J's gemm op spent 10-40% on top of the BLAS call at the sizes of a
 * small tower's step, and it cannot address a sub-matrix, which attention heads are (a column
 * block of [tokens, hidden]). Other backends go through ND4J's gemm.
 */
public final class Blas {
    private static final int ROW_MAJOR = openblas_nolapack.CblasRowMajor;
    private static final int NO_TRANS = openblas_nolapack.CblasNoTrans;
    private static final int TRANS = openblas_nolapack.CblasTrans;
    /**
     * {@code -Dclip.sgemm=openblas} sends float products to OpenBLAS instead, as before oneDNN: to
     * compare the two (BENCHMARKS.md), or to get round a oneDNN problem on some machine.
     */
    private static final boolean OPENBLAS_SGEMM = sgemmLibrary(System.getProperty("clip.sgemm")).equals("openblas");
    private static final java.lang.management.ThreadMXBean THREAD_CPU = java.lang.management.ManagementFactory.getThreadMXBean();

    private Blas() {
    }

    /**
     * {@code c = alpha * op(a) op(b) + beta * c} for 2-D arrays, op = transpose when asked: the
     * product as the layers run it (public for {@code bin/clip bench}'s measured rate).
     */
    public static void gemm(INDArray a, boolean transA, INDArray b, boolean transB, double alpha, double beta, INDArray c) {
        if (!isDirect(a, b, c)) {
            Nd4j.gemm(a, b, c, transA, transB, alpha, beta);
            return;
        }
        int m = (int) c.size(0);
        int n = (int) c.size(1);
        int k = (int) (transA ? a.size(0) : a.size(1));
        if ((transA ? a.size(1) : a.size(0)) != m || (transB ? b.size(0) : b.size(1)) != n
                || (transB ? b.size(1) : b.size(0)) != k) {
            throw new IllegalArgumentException("gemm shapes " + java.util.Arrays.toString(a.shape()) + (transA ? "^T" : "")
                    + " x " + java.util.Arrays.toString(b.shape()) + (transB ? "^T" : "") + " -> " + java.util.Arrays.toString(c.shape()));
        }
        gemm(transA, transB, m, n, k, alpha, a, 0, (int) a.size(1), b, 0, (int) b.size(1), beta, c, 0, (int) c.size(1));
    }

    /** A new [rows of op(a), columns of op(b)] array holding {@code op(a) op(b)}. */
    static INDArray product(INDArray a, boolean transA, INDArray b, boolean transB) {
        INDArray c = Nd4j.createUninitialized(a.dataType(), transA ? a.size(1) : a.size(0), transB ? b.size(0) : b.size(1));
        gemm(a, transA, b, transB, 1.0, 0.0, c);
        return c;
    }

    /**
     * The raw call on sub-matrices: each operand starts {@code offset} elements after its array's
     * first element, rows {@code ld} elements apart. Only for arrays that {@link #isDirect} accepts.
     */
    static void gemm(boolean transA, boolean transB, int m, int n, int k, double alpha,
                     INDArray a, long offsetA, int lda, INDArray b, long offsetB, int ldb,
                     double beta, INDArray c, long offsetC, int ldc) {
        gemm(NativeThreads.count(), transA, transB, m, n, k, alpha, a, offsetA, lda, b, offsetB, ldb,
                beta, c, offsetC, ldc);
    }

    /**
     * {@link #gemm(boolean, boolean, int, int, int, double, INDArray, long, int, INDArray, long, int, double, INDArray, long, int)}
     * on the calling thread alone, for products too small to share (attention's per-head blocks),
     * which callers spread over threads themselves.
     */
    static void gemmOnThisThread(boolean transA, boolean transB, int m, int n, int k, double alpha,
                                 INDArray a, long offsetA, int lda, INDArray b, long offsetB, int ldb,
                                 double beta, INDArray c, long offsetC, int ldc) {
        gemm(1, transA, transB, m, n, k, alpha, a, offsetA, lda, b, offsetB, ldb, beta, c, offsetC, ldc);
    }

    /** The product, timed as a {@link ProductEvent} when a JFR recording asks for those. */
    private static void gemm(int threads, boolean transA, boolean transB, int m, int n, int k, double alpha,
                             INDArray a, long offsetA, int lda, INDArray b, long offsetB, int ldb,
                             double beta, INDArray c, long offsetC, int ldc) {
        ProductEvent event = new ProductEvent();
        long cpuBefore = 0;
        if (event.isEnabled()) {
            cpuBefore = THREAD_CPU.getCurrentThreadCpuTime();
            event.begin();
        }
        product(threads, transA, transB, m, n, k, alpha, a, offsetA, lda, b, offsetB, ldb, beta, c, offsetC, ldc);
        if (event.isEnabled()) {
            event.end();
            event.cpuTime = THREAD_CPU.getCurrentThreadCpuTime() - cpuBefore;
            event.m = m;
            event.n = n;
            event.k = k;
            event.transA = transA;
            event.transB = transB;
            event.threads = threads;
            event.commit();
        }
    }

    /** OpenBLAS's products take their thread count from its process-wide setting, whatever {@code threads} says. */
    private static void product(int threads, boolean transA, boolean transB, int m, int n, int k, double alpha,
                                INDArray a, long offsetA, int lda, INDArray b, long offsetB, int ldb,
                                double beta, INDArray c, long offsetC, int ldc) {
        int ta = transA ? TRANS : NO_TRANS;
        int tb = transB ? TRANS : NO_TRANS;
        if (c.dataType() == DataType.FLOAT && !OPENBLAS_SGEMM) {
            OneDnnSgemm.sgemm(threads, transA, transB, m, n, k, (float) alpha,
                    floats(a, offsetA), lda, floats(b, offsetB), ldb, (float) beta, floats(c, offsetC), ldc);
        } else if (c.dataType() == DataType.FLOAT) {
            openblas_nolapack.cblas_sgemm(ROW_MAJOR, ta, tb, m, n, k, (float) alpha, floats(a, offsetA), lda,
                    floats(b, offsetB), ldb, (float) beta, floats(c, offsetC), ldc);
        } else {
            openblas_nolapack.cblas_dgemm(ROW_MAJOR, ta, tb, m, n, k, alpha, doubles(a, offsetA), lda,
                    doubles(b, offsetB), ldb, beta, doubles(c, offsetC), ldc);
        }
    }

    /** True when the arrays can be handed to cblas: CPU backend, one float or double type, packed row-major. */
    static boolean isDirect(INDArray... arrays) {
        if (!Nd4j.getEnvironment().isCPU()) {
            return false;
        }
        DataType type = arrays[0].dataType();
        if (type != DataType.FLOAT && type != DataType.DOUBLE) {
            return false;
        }
        for (INDArray x : arrays) {
            if (x.dataType() != type || !RowMajor.isPacked(x)) {
                return false;
            }
        }
        return true;
    }

    /** The library that {@code -Dclip.sgemm} names, oneDNN when it is not set. */
    static String sgemmLibrary(String property) {
        String library = property == null ? "onednn" : property;
        if (!library.equals("onednn") && !library.equals("openblas")) {
            throw new IllegalArgumentException("-Dclip.sgemm=" + library + ": expected onednn or openblas");
        }
        return library;
    }

    private static FloatPointer floats(INDArray x, long offset) {
        return RowMajor.floatPointer(x, offset);
    }

    private static DoublePointer doubles(INDArray x, long offset) {
        return RowMajor.doublePointer(x, offset);
    }
}
