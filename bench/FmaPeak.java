import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The machine's single-core float FMA rate through the Vector API, with 256- or 512-bit vectors:
 * a 6-row x 4-vector register tile of C summed over k from operands that stay in L1, as the inner
 * loop of a matrix product is. What a hand-written product could reach at most, against
 * OpenBLAS's rate at the step's shapes (bench/GemmShapes.java).
 *
 *   taskset -c 1 java --add-modules jdk.incubator.vector bench/FmaPeak.java 256|512 [k=192] [rounds=8]
 *
 * One width per JVM: with both, JDK 17's C2 compiles whichever tile comes second with every
 * vector boxed on the heap (20-30x slower), because the Vector API's shared code has by then been
 * profiled with the other vector class ({@code clip.layers.VectorMath#compileForwardKernels}).
 */
public class FmaPeak {
    private static final VectorSpecies<Float> S256 = FloatVector.SPECIES_256;
    private static final VectorSpecies<Float> S512 = FloatVector.SPECIES_512;

    public static void main(String[] args) {
        boolean wide = args.length > 0 && args[0].equals("512");
        int k = args.length > 1 ? Integer.parseInt(args[1]) : 192;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 8;
        float[] a = new float[6 * k];
        float[] b = new float[64 * k];
        float[] c = new float[6 * 64];
        java.util.Random random = new java.util.Random(1);
        for (int i = 0; i < a.length; i++) {
            a[i] = random.nextFloat();
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = random.nextFloat();
        }
        int calls = 200_000;
        int lanes = (wide ? S512 : S256).length();
        for (int round = 0; round < rounds; round++) {
            long start = System.nanoTime();
            for (int i = 0; i < calls; i++) {
                if (wide) {
                    tile512(a, b, c, k);
                } else {
                    tile256(a, b, c, k);
                }
            }
            long nanos = System.nanoTime() - start;
            System.out.printf("round %d: %d-bit vectors, %.1f GFLOP/s%n", round, lanes * 32, 2.0 * 6 * 4 * lanes * k * calls / nanos);
        }
    }

    // The two tiles differ only in their species: a species passed as an argument is not a
    // constant to C2 unless everything inlines, and a boxed vector would measure the heap instead.

    private static void tile256(float[] a, float[] b, float[] c, int k) {
        int l = S256.length();
        FloatVector c00 = FloatVector.zero(S256), c01 = FloatVector.zero(S256), c02 = FloatVector.zero(S256), c03 = FloatVector.zero(S256);
        FloatVector c10 = FloatVector.zero(S256), c11 = FloatVector.zero(S256), c12 = FloatVector.zero(S256), c13 = FloatVector.zero(S256);
        FloatVector c20 = FloatVector.zero(S256), c21 = FloatVector.zero(S256), c22 = FloatVector.zero(S256), c23 = FloatVector.zero(S256);
        FloatVector c30 = FloatVector.zero(S256), c31 = FloatVector.zero(S256), c32 = FloatVector.zero(S256), c33 = FloatVector.zero(S256);
        FloatVector c40 = FloatVector.zero(S256), c41 = FloatVector.zero(S256), c42 = FloatVector.zero(S256), c43 = FloatVector.zero(S256);
        FloatVector c50 = FloatVector.zero(S256), c51 = FloatVector.zero(S256), c52 = FloatVector.zero(S256), c53 = FloatVector.zero(S256);
        for (int p = 0; p < k; p++) {
            int bo = p * 4 * l;
            FloatVector b0 = FloatVector.fromArray(S256, b, bo);
            FloatVector b1 = FloatVector.fromArray(S256, b, bo + l);
            FloatVector b2 = FloatVector.fromArray(S256, b, bo + 2 * l);
            FloatVector b3 = FloatVector.fromArray(S256, b, bo + 3 * l);
            FloatVector x = FloatVector.broadcast(S256, a[p * 6]);
            c00 = b0.fma(x, c00); c01 = b1.fma(x, c01); c02 = b2.fma(x, c02); c03 = b3.fma(x, c03);
            x = FloatVector.broadcast(S256, a[p * 6 + 1]);
            c10 = b0.fma(x, c10); c11 = b1.fma(x, c11); c12 = b2.fma(x, c12); c13 = b3.fma(x, c13);
            x = FloatVector.broadcast(S256, a[p * 6 + 2]);
            c20 = b0.fma(x, c20); c21 = b1.fma(x, c21); c22 = b2.fma(x, c22); c23 = b3.fma(x, c23);
            x = FloatVector.broadcast(S256, a[p * 6 + 3]);
            c30 = b0.fma(x, c30); c31 = b1.fma(x, c31); c32 = b2.fma(x, c32); c33 = b3.fma(x, c33);
            x = FloatVector.broadcast(S256, a[p * 6 + 4]);
            c40 = b0.fma(x, c40); c41 = b1.fma(x, c41); c42 = b2.fma(x, c42); c43 = b3.fma(x, c43);
            x = FloatVector.broadcast(S256, a[p * 6 + 5]);
            c50 = b0.fma(x, c50); c51 = b1.fma(x, c51); c52 = b2.fma(x, c52); c53 = b3.fma(x, c53);
        }
        // Stored one by one: vectors put in an array are boxed on the heap, all through the loop.
        c00.intoArray(c, 0); c01.intoArray(c, l); c02.intoArray(c, 2 * l); c03.intoArray(c, 3 * l);
        c10.intoArray(c, 4 * l); c11.intoArray(c, 5 * l); c12.intoArray(c, 6 * l); c13.intoArray(c, 7 * l);
        c20.intoArray(c, 8 * l); c21.intoArray(c, 9 * l); c22.intoArray(c, 10 * l); c23.intoArray(c, 11 * l);
        c30.intoArray(c, 12 * l); c31.intoArray(c, 13 * l); c32.intoArray(c, 14 * l); c33.intoArray(c, 15 * l);
        c40.intoArray(c, 16 * l); c41.intoArray(c, 17 * l); c42.intoArray(c, 18 * l); c43.intoArray(c, 19 * l);
        c50.intoArray(c, 20 * l); c51.intoArray(c, 21 * l); c52.intoArray(c, 22 * l); c53.intoArray(c, 23 * l);
    }

    private static void tile512(float[] a, float[] b, float[] c, int k) {
        int l = S512.length();
        FloatVector c00 = FloatVector.zero(S512), c01 = FloatVector.zero(S512), c02 = FloatVector.zero(S512), c03 = FloatVector.zero(S512);
        FloatVector c10 = FloatVector.zero(S512), c11 = FloatVector.zero(S512), c12 = FloatVector.zero(S512), c13 = FloatVector.zero(S512);
        FloatVector c20 = FloatVector.zero(S512), c21 = FloatVector.zero(S512), c22 = FloatVector.zero(S512), c23 = FloatVector.zero(S512);
        FloatVector c30 = FloatVector.zero(S512), c31 = FloatVector.zero(S512), c32 = FloatVector.zero(S512), c33 = FloatVector.zero(S512);
        FloatVector c40 = FloatVector.zero(S512), c41 = FloatVector.zero(S512), c42 = FloatVector.zero(S512), c43 = FloatVector.zero(S512);
        FloatVector c50 = FloatVector.zero(S512), c51 = FloatVector.zero(S512), c52 = FloatVector.zero(S512), c53 = FloatVector.zero(S512);
        for (int p = 0; p < k; p++) {
            int bo = p * 4 * l;
            FloatVector b0 = FloatVector.fromArray(S512, b, bo);
            FloatVector b1 = FloatVector.fromArray(S512, b, bo + l);
            FloatVector b2 = FloatVector.fromArray(S512, b, bo + 2 * l);
            FloatVector b3 = FloatVector.fromArray(S512, b, bo + 3 * l);
            FloatVector x = FloatVector.broadcast(S512, a[p * 6]);
            c00 = b0.fma(x, c00); c01 = b1.fma(x, c01); c02 = b2.fma(x, c02); c03 = b3.fma(x, c03);
            x = FloatVector.broadcast(S512, a[p * 6 + 1]);
            c10 = b0.fma(x, c10); c11 = b1.fma(x, c11); c12 = b2.fma(x, c12); c13 = b3.fma(x, c13);
            x = FloatVector.broadcast(S512, a[p * 6 + 2]);
            c20 = b0.fma(x, c20); c21 = b1.fma(x, c21); c22 = b2.fma(x, c22); c23 = b3.fma(x, c23);
            x = FloatVector.broadcast(S512, a[p * 6 + 3]);
            c30 = b0.fma(x, c30); c31 = b1.fma(x, c31); c32 = b2.fma(x, c32); c33 = b3.fma(x, c33);
            x = FloatVector.broadcast(S512, a[p * 6 + 4]);
            c40 = b0.fma(x, c40); c41 = b1.fma(x, c41); c42 = b2.fma(x, c42); c43 = b3.fma(x, c43);
            x = FloatVector.broadcast(S512, a[p * 6 + 5]);
            c50 = b0.fma(x, c50); c51 = b1.fma(x, c51); c52 = b2.fma(x, c52); c53 = b3.fma(x, c53);
        }
        // Stored one by one: vectors put in an array are boxed on the heap, all through the loop.
        c00.intoArray(c, 0); c01.intoArray(c, l); c02.intoArray(c, 2 * l); c03.intoArray(c, 3 * l);
        c10.intoArray(c, 4 * l); c11.intoArray(c, 5 * l); c12.intoArray(c, 6 * l); c13.intoArray(c, 7 * l);
        c20.intoArray(c, 8 * l); c21.intoArray(c, 9 * l); c22.intoArray(c, 10 * l); c23.intoArray(c, 11 * l);
        c30.intoArray(c, 12 * l); c31.intoArray(c, 13 * l); c32.intoArray(c, 14 * l); c33.intoArray(c, 15 * l);
        c40.intoArray(c, 16 * l); c41.intoArray(c, 17 * l); c42.intoArray(c, 18 * l); c43.intoArray(c, 19 * l);
        c50.intoArray(c, 20 * l); c51.intoArray(c, 21 * l); c52.intoArray(c, 22 * l); c53.intoArray(c, 23 * l);
    }
}
