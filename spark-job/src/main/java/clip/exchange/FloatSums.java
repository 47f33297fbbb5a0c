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
     * {@code sum[i] = (first ? 0 : sum[i]) + part[i]} for n floats, at byte offsets {@code to}
     * and {@code from}. Starting from +0 rather than copying keeps the bits of a sum that starts
     * at zero (-0 + +0 is +0).
     */
    static void add(ByteBuffer sum, int to, ByteBuffer part, int from, int n, boolean first) {
        ByteBuffer s = sum.order() == ByteOrder.LITTLE_ENDIAN ? sum : sum.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer p = part.order() == ByteOrder.LITTLE_ENDIAN ? part : part.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int done = VECTOR ? ExchangeKernels.add(s, to, p, from, n, first) : 0;
        for (int i = done; i < n; i++) {
            int a = to + i * Float.BYTES;
            s.putFloat(a, (first ? 0f : s.getFloat(a)) + p.getFloat(from + i * Float.BYTES));
        }
    }
}
