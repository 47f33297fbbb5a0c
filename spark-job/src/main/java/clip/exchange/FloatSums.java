package clip.exchange;

import clip.layers.VectorMath;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Element-wise float sums between flat little-endian buffers, in place. */
final class FloatSums {
    private static final boolean VECTOR = VectorMath.moduleLoaded();

    private FloatSums() {
    }

    /**
     * {@code sum[i] = ((first ? 0 : sum[i]) + parts[0][i]) + parts[1][i] + ...} for n floats from
     * byte {@code to} of the sum and the parts' positions, in one pass. Adding in that order keeps
     * the bits of separate passes; starting a sum from +0 rather than copying its first part keeps
     * the bits of a sum that starts at zero (-0 + +0 is +0).
     */
    static void add(ByteBuffer sum, int to, ByteBuffer[] parts, int n, boolean first) {
        ByteBuffer s = sum.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer[] p = new ByteBuffer[parts.length];
        int[] from = new int[parts.length];
        for (int k = 0; k < parts.length; k++) {
            p[k] = parts[k].duplicate().order(ByteOrder.LITTLE_ENDIAN);
            from[k] = parts[k].position();
        }
        scalarAdd(s, to, p, from, VECTOR ? ExchangeKernels.add(s, to, p, from, n, first) : 0, n, first);
    }

    /** Floats {@code [done, n)} of {@link #add} without the Vector API (little-endian buffers). */
    static void scalarAdd(ByteBuffer s, int to, ByteBuffer[] p, int[] from, int done, int n, boolean first) {
        for (int i = done; i < n; i++) {
            int a = to + i * Float.BYTES;
            float acc = first ? 0f : s.getFloat(a);
            for (int k = 0; k < p.length; k++) {
                acc += p[k].getFloat(from[k] + i * Float.BYTES);
            }
            s.putFloat(a, acc);
        }
    }
}
