package clip.exchange;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The exchange's loops on the Vector API, loaded only in a JVM that has the module (see
 * clip.layers.VectorMath); {@link FrameHash} and {@link FloatSums} fall back to scalar loops
 * that give the same bits.
 */
final class ExchangeKernels {
    private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Long> LONGS = INTS.vectorShape().withLanes(long.class);
    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
    private static final long LOW = 0xFFFFFFFFL;

    private ExchangeKernels() {
    }

    /**
     * One NH block: a pair of words read as one 64-bit lane holds m[2j] in its low and m[2j+1]
     * in its high half, so NH's product is the lane's low half times its high half.
     */
    static void hashBlock(ByteBuffer in, int at, int[] key, ByteBuffer out) {
        LongVector h0 = LongVector.zero(LONGS);
        LongVector h1 = h0;
        int step = INTS.vectorByteSize();
        for (int i = 0; i < FrameHash.BLOCK_BYTES; i += step) {
            IntVector m = IntVector.fromByteBuffer(INTS, in, at + i, ByteOrder.LITTLE_ENDIAN);
            int k = i / Integer.BYTES;
            LongVector x0 = m.add(IntVector.fromArray(INTS, key, k)).reinterpretAsLongs();
            LongVector x1 = m.add(IntVector.fromArray(INTS, key, k + 4)).reinterpretAsLongs();
            h0 = h0.add(x0.and(LOW).mul(x0.lanewise(VectorOperators.LSHR, 32)));
            h1 = h1.add(x1.and(LOW).mul(x1.lanewise(VectorOperators.LSHR, 32)));
        }
        out.putLong(h0.reduceLanes(VectorOperators.ADD)).putLong(h1.reduceLanes(VectorOperators.ADD));
    }

    /** {@link FloatSums#add} on whole vectors; returns how many floats it did. */
    static int add(ByteBuffer sum, int to, ByteBuffer[] parts, int[] from, int n, boolean first) {
        int bytes = FLOATS.vectorByteSize();
        int done = FLOATS.loopBound(n);
        FloatVector zero = FloatVector.zero(FLOATS);
        for (int i = 0; i < done * Float.BYTES; i += bytes) {
            FloatVector acc = first ? zero : FloatVector.fromByteBuffer(FLOATS, sum, to + i, ByteOrder.LITTLE_ENDIAN);
            for (int k = 0; k < parts.length; k++) {
                acc = acc.add(FloatVector.fromByteBuffer(FLOATS, parts[k], from[k] + i, ByteOrder.LITTLE_ENDIAN));
            }
            acc.intoByteBuffer(sum, to + i, ByteOrder.LITTLE_ENDIAN);
        }
        return done;
    }
}
