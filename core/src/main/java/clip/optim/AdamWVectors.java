package clip.optim;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link AdamW}'s float update in the Vector API, loading from and storing to the four buffers'
 * memory directly. The update streams seven floats a parameter and does little arithmetic on
 * them, so copying each chunk through Java arrays first (the JIT vectorises array loops, not
 * buffer access) was a large part of its time: the tiny architecture's 9.6M parameters took 11.1
 * ms on one thread and 11.2 on two that way, 9.0 and 7.6 this way (bench/AdamWCost.java,
 * BENCHMARKS.md "Twenty-first session"). Each lane does the scalar
 * update's float operations in its order (no fused multiply-add), so the bits are the same.
 * Only loaded in a JVM with the Vector API ({@code clip.layers.VectorMath#moduleLoaded}).
 */
final class AdamWVectors {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private AdamWVectors() {
    }

    /** Updates elements {@code [from, to)} of the buffers (native order; see {@code RowMajor.bytes}). */
    static void update(ByteBuffer p, ByteBuffer g, ByteBuffer m, ByteBuffer v, int from, int to, AdamW.FloatStep c) {
        int i = from;
        for (int bound = from + S.loopBound(to - from); i < bound; i += S.length()) {
            int at = i * Float.BYTES;
            FloatVector gi = FloatVector.fromByteBuffer(S, g, at, ORDER);
            FloatVector mi = FloatVector.fromByteBuffer(S, m, at, ORDER).mul(c.beta1()).add(gi.mul(c.oneMinusBeta1()));
            FloatVector vi = FloatVector.fromByteBuffer(S, v, at, ORDER).mul(c.beta2())
                    .add(gi.mul(c.oneMinusBeta2()).mul(gi));
            mi.intoByteBuffer(m, at, ORDER);
            vi.intoByteBuffer(v, at, ORDER);
            FloatVector denom = vi.lanewise(VectorOperators.SQRT).div(c.correction2Sqrt()).add(c.eps());
            FloatVector.fromByteBuffer(S, p, at, ORDER).mul(c.decay()).add(mi.div(denom).mul(c.minusStepSize()))
                    .intoByteBuffer(p, at, ORDER);
        }
        for (; i < to; i++) {
            int at = i * Float.BYTES;
            float gi = g.getFloat(at);
            float mi = m.getFloat(at) * c.beta1() + c.oneMinusBeta1() * gi;
            float vi = v.getFloat(at) * c.beta2() + c.oneMinusBeta2() * gi * gi;
            m.putFloat(at, mi);
            v.putFloat(at, vi);
            p.putFloat(at, p.getFloat(at) * c.decay() + c.minusStepSize() * (mi / ((float) Math.sqrt(vi) / c.correction2Sqrt() + c.eps())));
        }
    }
}
