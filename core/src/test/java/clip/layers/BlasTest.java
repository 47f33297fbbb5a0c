package clip.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.testutil.ForkedJvm;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * Float products go to oneDNN ({@link OneDnnSgemm}): checked against a product summed in double,
 * for every transpose, on sub-matrices whose rows are further apart than their width (attention's
 * heads), with alpha and beta; a block's bits wherever it lies; and the thread count each calling
 * thread is given.
 */
class BlasTest {
    /** A float32 sum of k products against the exact one: a few units in the last place of the sum of |terms|. */
    private static final double RELATIVE = 1e-6;

    /** bench/jfr_products.py reads these: one event per product, with its shape and the thread's CPU time. */
    @Test
    void aRecordingThatAsksGetsEveryProductWithItsShape(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        INDArray a = Nd4j.rand(DataType.FLOAT, 40, 30);
        INDArray b = Nd4j.rand(DataType.FLOAT, 20, 30);
        INDArray c = Nd4j.create(DataType.FLOAT, 40, 20);
        Blas.gemm(a, false, b, true, 1.0, 0.0, c); // not recorded
        java.nio.file.Path file = dir.resolve("products.jfr");
        try (jdk.jfr.Recording recording = new jdk.jfr.Recording()) {
            recording.enable("clip.layers.Product").withThreshold(java.time.Duration.ZERO);
            recording.start();
            for (int i = 0; i < 3; i++) {
                Blas.gemm(a, false, b, true, 1.0, 0.0, c);
            }
            recording.stop();
            recording.dump(file);
        }
        List<jdk.jfr.consumer.RecordedEvent> events = jdk.jfr.consumer.RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().equals("clip.layers.Product")).toList();
        assertEquals(3, events.size());
        for (jdk.jfr.consumer.RecordedEvent e : events) {
            assertEquals(40, e.getInt("m"));
            assertEquals(20, e.getInt("n"));
            assertEquals(30, e.getInt("k"));
            assertTrue(e.getBoolean("transB") && !e.getBoolean("transA"));
            assertTrue(e.getLong("cpuTime") >= 0 && e.getLong("cpuTime") <= e.getDuration().toNanos() + 1_000_000,
                    "a thread's CPU time over the call is at most its wall time (plus the clocks' granularity)");
        }
    }

    @Test
    void floatProductsMatchTheirSumInDouble() {
        Nd4j.getRandom().setSeed(11);
        for (boolean transA : new boolean[] {false, true}) {
            for (boolean transB : new boolean[] {false, true}) {
                for (int[] mnk : new int[][] {{7, 13, 5}, {65, 64, 65}, {300, 192, 260}}) {
                    check(transA, transB, mnk[0], mnk[1], mnk[2]);
                }
            }
        }
    }

    /**
     * C's [m, n] block at column 3 of a wider array, A and B also blocks of wider arrays at an
     * offset, as {@link SelfAttention}'s heads address them; alpha 0.125 and beta 1 (accumulation).
     */
    private static void check(boolean transA, boolean transB, int m, int n, int k) {
        int aRows = transA ? k : m;
        int aCols = transA ? m : k;
        int bRows = transB ? n : k;
        int bCols = transB ? k : n;
        INDArray a = Nd4j.rand(DataType.FLOAT, aRows + 1, aCols + 5).subi(0.5);
        INDArray b = Nd4j.rand(DataType.FLOAT, bRows + 1, bCols + 2).subi(0.5);
        INDArray c = Nd4j.rand(DataType.FLOAT, m, n + 4).subi(0.5);
        INDArray c0 = c.dup();
        int lda = aCols + 5;
        int ldb = bCols + 2;
        int ldc = n + 4;
        Blas.gemm(transA, transB, m, n, k, 0.125, a, lda + 2, lda, b, ldb + 1, ldb, 1.0, c, 3, ldc);
        String shape = m + "x" + n + "x" + k + (transA ? " A^T" : "") + (transB ? " B^T" : "");
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n + 4; j++) {
                double expected = c0.getDouble(i, j);
                double scale = Math.abs(expected);
                if (j >= 3 && j < 3 + n) {
                    double sum = 0;
                    double sumAbs = 0;
                    for (int p = 0; p < k; p++) {
                        double x = transA ? a.getDouble(1 + p, 2 + i) : a.getDouble(1 + i, 2 + p);
                        double y = transB ? b.getDouble(1 + j - 3, 1 + p) : b.getDouble(1 + p, 1 + j - 3);
                        sum += x * y;
                        sumAbs += Math.abs(x * y);
                    }
                    expected += 0.125 * sum;
                    scale += 0.125 * sumAbs;
                }
                double got = c.getDouble(i, j);
                if (j < 3 || j >= 3 + n) {
                    assertEquals(expected, got, 0.0, shape + ": C's columns outside the block are untouched, at (" + i + ", " + j + ")");
                } else {
                    assertEquals(expected, got, RELATIVE * scale + 1e-30, shape + " at (" + i + ", " + j + ")");
                }
            }
        }
    }

    /**
     * Attention multiplies each (example, head) block where it lies in [B, T, H*dh]: its result must
     * not depend on the block's place, or an example's embedding would depend on its batch.
     */
    @Test
    void aBlockGivesTheSameBitsWhereverItLies() {
        Nd4j.getRandom().setSeed(5);
        INDArray q = Nd4j.rand(DataType.FLOAT, 65, 64).subi(0.5);
        INDArray k = Nd4j.rand(DataType.FLOAT, 65, 64).subi(0.5);
        INDArray packed = Nd4j.create(DataType.FLOAT, 65, 65);
        Blas.gemmOnThisThread(false, true, 65, 65, 64, 0.125, q, 0, 64, k, 0, 64, 0.0, packed, 0, 65);
        INDArray wideQ = Nd4j.rand(DataType.FLOAT, 2 * 65, 192);
        INDArray wideK = Nd4j.rand(DataType.FLOAT, 2 * 65, 192);
        wideQ.get(NDArrayIndex.interval(65, 130), NDArrayIndex.interval(128, 192)).assign(q);
        wideK.get(NDArrayIndex.interval(65, 130), NDArrayIndex.interval(128, 192)).assign(k);
        INDArray scores = Nd4j.create(DataType.FLOAT, 6, 65, 65);
        long at = 65 * 192 + 128;
        Blas.gemmOnThisThread(false, true, 65, 65, 64, 0.125, wideQ, at, 192, wideK, at, 192, 0.0, scores, 5 * 65 * 65, 65);
        assertArrayEquals(bits(packed), bits(scores.get(NDArrayIndex.point(5), NDArrayIndex.all(), NDArrayIndex.all())),
                "the second example's third head against the same values packed");
    }

    @Test
    void eachCallingThreadRunsProductsOnTheProductsThreadCount() throws Exception {
        INDArray a = Nd4j.rand(DataType.FLOAT, 400, 192);
        INDArray w = Nd4j.rand(DataType.FLOAT, 768, 192);
        int before = openblas_nolapack.blas_get_num_threads();
        ExecutorService other = Executors.newSingleThreadExecutor();
        try {
            openblas_nolapack.blas_set_num_threads(2);
            INDArray twoThreads = Blas.product(a, false, w, true);
            assertEquals(2, openMpThreads(), "the calling thread's OpenMP count, after a product on two threads");
            assertArrayEquals(bits(twoThreads), bits(Blas.product(a, false, w, true)), "the same bits on the same thread count");
            INDArray oneThread;
            try (NativeThreads single = NativeThreads.single()) {
                oneThread = Blas.product(a, false, w, true);
                assertEquals(1, openMpThreads(), "after a product inside NativeThreads.single()");
                Future<int[]> part = other.submit(() -> {
                    INDArray p = Blas.product(a, false, w, true);
                    assertArrayEquals(bits(oneThread), bits(p), "a part's thread gives the caller's bits");
                    return new int[] {openMpThreads()};
                });
                assertArrayEquals(new int[] {1}, part.get(), "a part's thread runs its products on one thread");
            }
            assertEquals(2, openblas_nolapack.blas_get_num_threads(), "NativeThreads restores the products' count");
            Blas.product(a, false, w, true);
            assertEquals(2, openMpThreads(), "and the next product on this thread takes it up again");
            double worst = oneThread.sub(twoThreads).amaxNumber().doubleValue();
            assertTrue(worst <= 1e-4, "one and two threads agree to rounding: " + worst);
        } finally {
            openblas_nolapack.blas_set_num_threads(before);
            other.shutdownNow();
        }
    }

    @Test
    void anUnknownProductLibraryIsRefusedInOneLine() {
        assertEquals("onednn", Blas.sgemmLibrary(null));
        assertEquals("openblas", Blas.sgemmLibrary("openblas"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Blas.sgemmLibrary("mkl"));
        assertEquals("-Dclip.sgemm=mkl: expected onednn or openblas", e.getMessage());
    }

    /** The elements in row order, compared exactly by assertArrayEquals (INDArray.equals allows 1e-5). */
    private static float[] bits(INDArray x) {
        return x.dup('c').data().asFloat();
    }

    private static int openMpThreads() {
        return NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads();
    }

    /**
     * {@code -Dclip.sgemm=openblas} takes every float product, attention's blocks included, off
     * oneDNN (whose library is then never loaded), and they still match their sums in double;
     * without the property oneDNN runs them. Each in a JVM of its own: the property is read once.
     */
    @Test
    void theOpenBlasSwitchTakesEveryFloatProductOffOneDnn() throws Exception {
        String[] openblas = probe(List.of("-Dclip.sgemm=openblas"));
        assertEquals("false", openblas[3], "oneDNN's library mapped with -Dclip.sgemm=openblas");
        assertTrue(Double.parseDouble(openblas[1]) < 1e-5, "OpenBLAS's products against double: " + openblas[1]);
        String[] byDefault = probe(List.of());
        assertEquals("true", byDefault[3], "oneDNN's library is what runs the products by default");
        assertTrue(Double.parseDouble(byDefault[1]) < 1e-5, "oneDNN's products against double: " + byDefault[1]);
    }

    /** {@link SgemmLibraryProbe}'s line: "worst ERROR onednn MAPPED". */
    private static String[] probe(List<String> jvmOptions) throws Exception {
        String line = ForkedJvm.lastLine(jvmOptions, SgemmLibraryProbe.class);
        String[] fields = line.split(" ");
        assertEquals(4, fields.length, line);
        return fields;
    }
}
