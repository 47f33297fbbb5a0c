package clip.layers;

import java.nio.FloatBuffer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Attention's products for one (example, head) block at a time, {@code C = alpha op(A) op(B)},
 * in Java's Vector API. The blocks are tiny (65 x 65 x 64 for a 64-px ViT head, a few thousand
 * of them a step) and a {@code cblas_sgemm} call per block ran at 24-37 GFLOP/s inside the
 * training step, where OpenBLAS's per-call set-up and its packing for large products dominate.
 * Here both operands of a block are packed into arrays that stay in L1, op(B) in column panels
 * padded to whole vectors, and each tile of C (four rows by four vectors, then the edges) is
 * summed over k in registers: 10-30% faster per block here (BENCHMARKS.md, "Eleventh session").
 * Every element is one FMA chain in k order, whatever the tile, so the bits depend only on the
 * operands (and were OpenBLAS's at every attention shape compared). For {@link VectorMath#applies}
 * arrays only; {@link SelfAttention} calls BLAS for the rest.
 */
final class HeadProducts {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final int TILE_ROWS = 4;
    private static final int TILE_VECTORS = 4;
    private final boolean transA;
    private final boolean transB;
    private final int m;
    private final int n;
    private final int k;
    private final float alpha;
    /** n rounded up to whole vectors: the row length of the result tiles. */
    private final int np;
    /** Columns of op(B) in panels four vectors wide (the last narrower panels one vector wide). */
    private final int wide;

    /** The products {@code alpha op(A) op(B)} of [m, k] by [k, n] blocks. */
    HeadProducts(boolean transA, boolean transB, int m, int n, int k, double alpha) {
        this.transA = transA;
        this.transB = transB;
        this.m = m;
        this.n = n;
        this.k = k;
        this.alpha = (float) alpha;
        this.np = (n + L - 1) / L * L;
        this.wide = np / (TILE_VECTORS * L) * (TILE_VECTORS * L);
    }

    /**
     * See {@link VectorMath#compileForwardKernels}: the tiles of the forward pass's products (op(A)
     * never transposed), or with {@code backward} those of the backward pass's transposed A, at a
     * ViT head's block size, past C2's thresholds.
     */
    static void compile(boolean backward) {
        int t = 65;
        FloatBuffer a = direct(t * t);
        FloatBuffer b = direct(t * t);
        FloatBuffer c = direct(t * t);
        for (boolean transB : backward ? new boolean[] {false} : new boolean[] {true, false}) {
            Scratch scratch = new HeadProducts(backward, transB, t, t, t - 1, 0.125).new Scratch();
            for (int call = 0; call < VectorKernels.COMPILE_CALLS / 5; call++) {
                scratch.multiply(a, 0, t, b, 0, t, c, 0, t);
            }
        }
    }

    private static FloatBuffer direct(int floats) {
        return java.nio.ByteBuffer.allocateDirect(floats * Float.BYTES).order(java.nio.ByteOrder.nativeOrder()).asFloatBuffer();
    }

    /** Packing and result arrays for one thread: blocks are multiplied one after another through them. */
    final class Scratch {
        private final float[] ap = new float[m * k];
        private final float[] bp = new float[k * np];
        private final float[] cp = new float[m * np];
        /** A row of B as stored; past n it stays zero, and so do the panels' columns past n. */
        private final float[] row = new float[Math.max(np, k)];
        private final float[] rowOfA = new float[m];

        /**
         * One block: A's first element at {@code offA} of {@code a}, its rows {@code lda} apart (rows of
         * A as stored, so of op(A)^T when transposed), the same for B and C.
         */
        void multiply(FloatBuffer a, int offA, int lda, FloatBuffer b, int offB, int ldb, FloatBuffer c, int offC, int ldc) {
            packA(a, offA, lda);
            packB(b, offB, ldb);
            int r = 0;
            for (; r + TILE_ROWS <= m; r += TILE_ROWS) {
                for (int j = 0; j < wide; j += TILE_VECTORS * L) {
                    tile4x4(r, j);
                }
                for (int j = wide; j < np; j += L) {
                    tile4x1(r, j);
                }
            }
            for (; r < m; r++) {
                for (int j = 0; j < wide; j += TILE_VECTORS * L) {
                    tile1x4(r, j);
                }
                for (int j = wide; j < np; j += L) {
                    tile1x1(r, j);
                }
            }
            for (int i = 0; i < m; i++) {
                c.put(offC + i * ldc, cp, i * np, n);
            }
        }

        /** ap[r k + p] = op(A)[r][p]. */
        private void packA(FloatBuffer a, int off, int ld) {
            if (!transA) {
                for (int r = 0; r < m; r++) {
                    a.get(off + r * ld, ap, r * k, k);
                }
                return;
            }
            for (int p = 0; p < k; p++) {
                a.get(off + p * ld, rowOfA, 0, m);
                for (int r = 0; r < m; r++) {
                    ap[r * k + p] = rowOfA[r];
                }
            }
        }

        /**
         * op(B) in column panels: the panel of columns from j (four vectors wide below {@link #wide},
         * one vector past it) starts at {@code j k}, its row p {@code p * width} after that, so that a
         * tile's loads step by a constant and their bounds checks leave the loop (with a row of np
         * between loads they stayed in it, and took 40% of the kernel's time). Zero past n.
         */
        private void packB(FloatBuffer b, int off, int ld) {
            if (transB) {
                for (int j = 0; j < n; j++) {
                    b.get(off + j * ld, row, 0, k);
                    int width = j < wide ? TILE_VECTORS * L : L;
                    int panel = j - j % width;
                    int at = panel * k + (j - panel);
                    for (int p = 0; p < k; p++) {
                        bp[at + p * width] = row[p];
                    }
                }
                return;
            }
            for (int p = 0; p < k; p++) {
                b.get(off + p * ld, row, 0, n);
                for (int j = 0; j < np; j += L) {
                    int width = j < wide ? TILE_VECTORS * L : L;
                    int panel = j - j % width;
                    System.arraycopy(row, j, bp, panel * k + p * width + (j - panel), L);
                }
            }
        }

        private void tile4x4(int r, int j) {
            FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c02 = FloatVector.zero(S), c03 = FloatVector.zero(S);
            FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S), c12 = FloatVector.zero(S), c13 = FloatVector.zero(S);
            FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S), c22 = FloatVector.zero(S), c23 = FloatVector.zero(S);
            FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S), c32 = FloatVector.zero(S), c33 = FloatVector.zero(S);
            int a0 = r * k;
            int a1 = a0 + k;
            int a2 = a1 + k;
            int a3 = a2 + k;
            int panel = j * k;
            for (int p = 0; p < k; p++) {
                int bo = panel + p * (TILE_VECTORS * L);
                FloatVector b0 = FloatVector.fromArray(S, bp, bo);
                FloatVector b1 = FloatVector.fromArray(S, bp, bo + L);
                FloatVector b2 = FloatVector.fromArray(S, bp, bo + 2 * L);
                FloatVector b3 = FloatVector.fromArray(S, bp, bo + 3 * L);
                FloatVector x = FloatVector.broadcast(S, ap[a0 + p]);
                c00 = b0.fma(x, c00);
                c01 = b1.fma(x, c01);
                c02 = b2.fma(x, c02);
                c03 = b3.fma(x, c03);
                x = FloatVector.broadcast(S, ap[a1 + p]);
                c10 = b0.fma(x, c10);
                c11 = b1.fma(x, c11);
                c12 = b2.fma(x, c12);
                c13 = b3.fma(x, c13);
                x = FloatVector.broadcast(S, ap[a2 + p]);
                c20 = b0.fma(x, c20);
                c21 = b1.fma(x, c21);
                c22 = b2.fma(x, c22);
                c23 = b3.fma(x, c23);
                x = FloatVector.broadcast(S, ap[a3 + p]);
                c30 = b0.fma(x, c30);
                c31 = b1.fma(x, c31);
                c32 = b2.fma(x, c32);
                c33 = b3.fma(x, c33);
            }
            int o = r * np + j;
            c00.mul(alpha).intoArray(cp, o);
            c01.mul(alpha).intoArray(cp, o + L);
            c02.mul(alpha).intoArray(cp, o + 2 * L);
            c03.mul(alpha).intoArray(cp, o + 3 * L);
            o += np;
            c10.mul(alpha).intoArray(cp, o);
            c11.mul(alpha).intoArray(cp, o + L);
            c12.mul(alpha).intoArray(cp, o + 2 * L);
            c13.mul(alpha).intoArray(cp, o + 3 * L);
            o += np;
            c20.mul(alpha).intoArray(cp, o);
            c21.mul(alpha).intoArray(cp, o + L);
            c22.mul(alpha).intoArray(cp, o + 2 * L);
            c23.mul(alpha).intoArray(cp, o + 3 * L);
            o += np;
            c30.mul(alpha).intoArray(cp, o);
            c31.mul(alpha).intoArray(cp, o + L);
            c32.mul(alpha).intoArray(cp, o + 2 * L);
            c33.mul(alpha).intoArray(cp, o + 3 * L);
        }

        private void tile4x1(int r, int j) {
            FloatVector c0 = FloatVector.zero(S);
            FloatVector c1 = FloatVector.zero(S);
            FloatVector c2 = FloatVector.zero(S);
            FloatVector c3 = FloatVector.zero(S);
            int a0 = r * k;
            int a1 = a0 + k;
            int a2 = a1 + k;
            int a3 = a2 + k;
            int panel = j * k;
            for (int p = 0; p < k; p++) {
                FloatVector b0 = FloatVector.fromArray(S, bp, panel + p * L);
                c0 = b0.fma(FloatVector.broadcast(S, ap[a0 + p]), c0);
                c1 = b0.fma(FloatVector.broadcast(S, ap[a1 + p]), c1);
                c2 = b0.fma(FloatVector.broadcast(S, ap[a2 + p]), c2);
                c3 = b0.fma(FloatVector.broadcast(S, ap[a3 + p]), c3);
            }
            int o = r * np + j;
            c0.mul(alpha).intoArray(cp, o);
            c1.mul(alpha).intoArray(cp, o + np);
            c2.mul(alpha).intoArray(cp, o + 2 * np);
            c3.mul(alpha).intoArray(cp, o + 3 * np);
        }

        private void tile1x4(int r, int j) {
            FloatVector c0 = FloatVector.zero(S);
            FloatVector c1 = FloatVector.zero(S);
            FloatVector c2 = FloatVector.zero(S);
            FloatVector c3 = FloatVector.zero(S);
            int a0 = r * k;
            int panel = j * k;
            for (int p = 0; p < k; p++) {
                int bo = panel + p * (TILE_VECTORS * L);
                FloatVector x = FloatVector.broadcast(S, ap[a0 + p]);
                c0 = FloatVector.fromArray(S, bp, bo).fma(x, c0);
                c1 = FloatVector.fromArray(S, bp, bo + L).fma(x, c1);
                c2 = FloatVector.fromArray(S, bp, bo + 2 * L).fma(x, c2);
                c3 = FloatVector.fromArray(S, bp, bo + 3 * L).fma(x, c3);
            }
            int o = r * np + j;
            c0.mul(alpha).intoArray(cp, o);
            c1.mul(alpha).intoArray(cp, o + L);
            c2.mul(alpha).intoArray(cp, o + 2 * L);
            c3.mul(alpha).intoArray(cp, o + 3 * L);
        }

        private void tile1x1(int r, int j) {
            FloatVector c0 = FloatVector.zero(S);
            int a0 = r * k;
            int panel = j * k;
            for (int p = 0; p < k; p++) {
                c0 = FloatVector.fromArray(S, bp, panel + p * L).fma(FloatVector.broadcast(S, ap[a0 + p]), c0);
            }
            c0.mul(alpha).intoArray(cp, r * np + j);
        }
    }
}
