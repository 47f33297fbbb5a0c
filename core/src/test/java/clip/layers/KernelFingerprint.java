package clip.layers;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.SplittableRandom;

/**
 * Runs every vector kernel on fixed inputs and prints a digest of the output bits, after
 * {@code args[0]} warm-up rounds. {@link VectorKernelsTest} starts it in JVMs that run the kernels
 * differently (the Vector API's Java fallback under C1, its intrinsics under C2): training is
 * only reproducible if both print the same. ND4J is never initialised, so the JVMs start in a
 * moment.
 */
public final class KernelFingerprint {
    private static final int N = 1003;

    private KernelFingerprint() {
    }

    public static void main(String[] args) throws Exception {
        int warmUp = Integer.parseInt(args[0]);
        float[] x = inputs(1);
        float[] dy = inputs(2);
        for (int i = 0; i < warmUp; i++) {
            digest(x, dy);
        }
        System.out.println(HexFormat.of().formatHex(digest(x, dy)));
    }

    /** Normal draws times 8, with the points where exp under- or overflows and tails saturate. */
    private static float[] inputs(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        // room past N for the whole vectors the kernels read
        float[] x = new float[N + 64];
        for (int i = 0; i < N; i++) {
            x[i] = (float) (nextGaussian(random) * 8);
        }
        float[] extremes = {0f, -0f, 1e-30f, -1e-30f, 60f, -60f, 120f, -120f, 1e4f, -1e4f};
        System.arraycopy(extremes, 0, x, 0, extremes.length);
        return x;
    }

    private static double nextGaussian(SplittableRandom random) {
        double u = random.nextDouble();
        double v = random.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
    }

    private static byte[] digest(float[] x, float[] dy) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        float[] out = new float[x.length];
        for (ActivationKind kind : new ActivationKind[] {ActivationKind.GELU, ActivationKind.GELU_TANH, ActivationKind.QUICK_GELU}) {
            VectorKernels.activation(kind, x, out, N);
            add(md, out, N);
            VectorKernels.activationBackward(kind, x, dy, out, N);
            add(md, out, N);
        }
        // rows whose width is and is not a whole number of vectors
        for (int dim : new int[] {37, 64}) {
            float[] row = java.util.Arrays.copyOfRange(x, 300, 300 + dim + 64);
            row[3] = -Float.MAX_VALUE; // a masked key
            VectorKernels.softmaxRow(row, new float[row.length], dim);
            add(md, row, dim);
            float[] d = java.util.Arrays.copyOfRange(dy, 400, 400 + dim);
            VectorKernels.softmaxRowBackward(d, row, dim);
            add(md, d, dim);
        }
        for (int dim : new int[] {37, 64}) {
            float[] gain = java.util.Arrays.copyOfRange(dy, 100, 100 + dim);
            float[] bias = java.util.Arrays.copyOfRange(x, 200, 200 + dim);
            float[] norm = new float[dim];
            float[] y = new float[dim];
            float[] block = new float[dim];
            for (int r = 0; r + dim <= N; r += dim) {
                float[] row = java.util.Arrays.copyOfRange(x, r, r + dim);
                float inv = VectorKernels.layerNormRow(row, gain, bias, 1e-5, norm, y);
                add(md, norm, dim);
                add(md, y, dim);
                add(md, new float[] {inv}, 1);
                float[] d = java.util.Arrays.copyOfRange(dy, r, r + dim);
                VectorKernels.layerNormRowBackward(d, norm, inv, gain);
                add(md, d, dim);
                VectorKernels.addRow(d, y, block);
            }
            add(md, block, dim);
        }
        return md.digest();
    }

    private static void add(MessageDigest md, float[] values, int n) {
        ByteBuffer bytes = ByteBuffer.allocate(4 * n);
        for (int i = 0; i < n; i++) {
            bytes.putInt(Float.floatToRawIntBits(values[i]));
        }
        md.update(bytes.array());
    }
}
