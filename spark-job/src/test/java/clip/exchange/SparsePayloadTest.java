package clip.exchange;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SparsePayloadTest {
    /** A lookup table's gradient: {@code rows} rows of width 48 set at random among mostly zero ones, one of them all -0. */
    private static float[] tableGradient(int length, int rows, long seed) {
        Random random = new Random(seed);
        float[] v = new float[length];
        for (int r = 0; r < rows; r++) {
            int row = random.nextInt(length / 48);
            for (int i = row * 48; i < row * 48 + 48; i++) {
                v[i] = r == 0 ? -0f : (float) random.nextGaussian();
            }
        }
        v[length - 1] = 3.5f; // in the last, short granule
        return v;
    }

    private static int[] bits(ByteBuf floats) {
        int[] out = new int[floats.readableBytes() / Float.BYTES];
        for (int i = 0; i < out.length; i++) {
            out[i] = floats.getIntLE(floats.readerIndex() + i * Float.BYTES);
        }
        return out;
    }

    private static int[] bits(float[] v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Float.floatToRawIntBits(v[i]);
        }
        return out;
    }

    private static String decode(ByteBuffer encoded, int n, ByteBuf into) {
        return SparsePayload.decode(Unpooled.wrappedBuffer(encoded.duplicate()), n, into);
    }

    @Test
    void aMostlyZeroFrameComesBackBitForBitInAFractionOfItsBytes() {
        int n = 10_007;
        float[] v = tableGradient(n, 12, 1);
        ByteBuffer encoded = SparsePayload.encode(NettyGroupTest.direct(v));
        assertNotNull(encoded, "12 rows of 208 are worth encoding");
        assertTrue(encoded.remaining() < n * Float.BYTES / 8, encoded.remaining() + " bytes for " + n * Float.BYTES);
        ByteBuf into = Unpooled.directBuffer(n * Float.BYTES);
        assertNull(decode(encoded, n, into));
        assertArrayEquals(bits(v), bits(into), "the -0 row, the short last granule and every other bit");
    }

    @Test
    void aDenseFrameOrOneMostlySetIsSentAsItIs() {
        float[] dense = new float[8192];
        java.util.Arrays.fill(dense, 1e-30f);
        assertNull(SparsePayload.encode(NettyGroupTest.direct(dense)));
        // the sample of granules sees mostly zeros, the scan finds more than half of them set
        float[] tricky = new float[8192];
        for (int g = 0; g < 8192 / SparsePayload.GRANULE_FLOATS; g++) {
            boolean sampled = g % (8192 / SparsePayload.GRANULE_FLOATS / 32) == 0;
            tricky[g * SparsePayload.GRANULE_FLOATS + 3] = sampled || g % 4 == 3 ? 0f : 2f;
        }
        assertNull(SparsePayload.encode(NettyGroupTest.direct(tricky)));
        assertNull(SparsePayload.encode(NettyGroupTest.direct(new float[64])), "too short to be worth a scan");
        assertNotNull(SparsePayload.encode(NettyGroupTest.direct(new float[8192])), "all zero");
    }

    @Test
    void aPayloadThatDoesNotAddUpIsRefusedWithWhatIsWrong() {
        int n = 10_007;
        ByteBuffer encoded = SparsePayload.encode(NettyGroupTest.direct(tableGradient(n, 12, 2)));
        ByteBuf into = Unpooled.directBuffer(n * Float.BYTES);
        ByteBuffer shorter = encoded.duplicate().limit(encoded.limit() - 4);
        assertTrue(decode(shorter, n, into).contains("not the"), decode(shorter, n, into));
        ByteBuffer pastEnd = ByteBuffer.allocate(encoded.remaining()).order(ByteOrder.LITTLE_ENDIAN).put(encoded.duplicate()).flip();
        int lastWord = SparsePayload.bitmapBytes(n) - Long.BYTES;
        pastEnd.putLong(lastWord, pastEnd.getLong(lastWord) | Long.MIN_VALUE);
        assertTrue(decode(pastEnd, n, into).contains("past its end"), decode(pastEnd, n, into));
        assertTrue(decode(ByteBuffer.allocate(8), n, into).contains("with 8 bytes"));
        assertEquals(0, into.writerIndex(), "nothing written for a refused payload");
    }
}
