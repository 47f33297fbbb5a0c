import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.blas_set_num_threads;
import static org.bytedeco.openblas.global.openblas_nolapack.cblas_sgemm;

import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;

/**
 * Single-threaded sgemm rate of the OpenBLAS that ND4J links, or of oneDNN's (the project's float
 * products), at one product shape of the training step, with the operands either hot (one set,
 * reused) or cycled through SETS sets (their 16 x ~2 MB do not fit the L2 cache, as a step's
 * activations do not). BENCHMARKS.md ("Tenth session", "Eighteenth session") quotes it.
 *
 *   OMP_NUM_THREADS=1 java -cp "$(cat spark-job/target/classpath.txt)" bench/GemmShapes.java SETS M N K TRANS_A TRANS_B [openblas|onednn]
 *   e.g. ... bench/GemmShapes.java 16 192 192 1040 1 0 onednn    # a q/k/v weight gradient of the tiny step
 *
 * Another OpenBLAS can stand in for ND4J's by preloading it (its symbols then win):
 *   LD_PRELOAD=/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0 OPENBLAS_VERBOSE=2 java ...
 */
public class GemmShapes {
    public static void main(String[] args) {
        int sets = Integer.parseInt(args[0]);
        int m = Integer.parseInt(args[1]);
        int n = Integer.parseInt(args[2]);
        int k = Integer.parseInt(args[3]);
        boolean transA = args[4].equals("1");
        boolean transB = args[5].equals("1");
        boolean onednn = args.length > 6 && args[6].equals("onednn");
        blas_set_num_threads(1);
        if (onednn) {
            Loader.load(dnnl.class);
        }
        FloatPointer[] a = new FloatPointer[sets];
        FloatPointer[] b = new FloatPointer[sets];
        FloatPointer[] c = new FloatPointer[sets];
        for (int s = 0; s < sets; s++) {
            a[s] = filled((long) m * k, s);
            b[s] = filled((long) k * n, s + 0.5);
            c[s] = new FloatPointer((long) m * n);
        }
        int lda = transA ? m : k;
        int ldb = transB ? k : n;
        double flop = 2.0 * m * n * k;
        int reps = (int) Math.max(20, 3e10 / flop);
        double best = Double.MAX_VALUE;
        for (int round = 0; round < 6; round++) { // the first rounds warm the caches and the clock
            long t0 = System.nanoTime();
            for (int r = 0; r < reps; r++) {
                int s = r % sets;
                if (onednn) {
                    dnnl.dnnl_sgemm((byte) (transA ? 'T' : 'N'), (byte) (transB ? 'T' : 'N'), m, n, k, 1f, a[s], lda, b[s], ldb, 0f, c[s], n);
                } else {
                    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                            m, n, k, 1f, a[s], lda, b[s], ldb, 0f, c[s], n);
                }
            }
            best = Math.min(best, (System.nanoTime() - t0) / 1e9 / reps);
        }
        System.out.printf((onednn ? "onednn" : "openblas") + " sets=%d %dx%dx%d trans=%s%s: %.1f GFLOP/s (best of 6 rounds of %d)%n",
                sets, m, n, k, args[4], args[5], flop / best / 1e9, reps);
    }

    private static FloatPointer filled(long length, double phase) {
        FloatPointer p = new FloatPointer(length);
        for (long i = 0; i < length; i++) {
            p.put(i, (float) Math.sin(i + phase));
        }
        return p;
    }
}
