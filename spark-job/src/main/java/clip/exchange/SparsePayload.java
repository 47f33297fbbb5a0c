package clip.exchange;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A frame's floats with their all-zero granules left out: a bitmap with one bit per granule of
 * {@value #GRANULE_FLOATS} floats (padded to whole longs), then the floats of the granules whose
 * bit is set, in order. Gradients of a lookup table are mostly zero rows (a batch reads a few
 * hundred of BERT's 30,522 words, {@link clip.layers.Embedding} leaves the others exactly zero),
 * and those rows were 23.4 of the 38.4 MB issue 14's tiny architecture reduce-scatters a step.
 * A granule is left out only when all its bits are zero (not for -0), so the receiver's floats
 * are the sender's bits and every sum after them is unchanged.
 *
 * <p>Not a general compressor: {@link #encode} looks at a few granules first and gives up at
 * once on a dense frame (nearly every frame of the other gradients), so the check costs the
 * dense exchanges almost nothing.
 */
final class SparsePayload {
    static final int GRANULE_FLOATS = 16;
    private static final int GRANULE_BYTES = GRANULE_FLOATS * Float.BYTES;
    /** Granules looked at before scanning a frame; more than half of them set means dense. */
    private static final int SAMPLES = 32;
    /** Frames of fewer granules go dense: the saving would not pay for the scan. */
    private static final int MIN_GRANULES = 4 * SAMPLES;

    private SparsePayload() {
    }

    /** Granules of a frame of {@code n} floats, the last one possibly short. */
    static int granules(int n) {
        return (n + GRANULE_FLOATS - 1) / GRANULE_FLOATS;
    }

    /** Bytes of the bitmap of a frame of {@code n} floats: whole longs, so the floats after it stay aligned. */
    static int bitmapBytes(int n) {
        return (granules(n) + Long.SIZE - 1) / Long.SIZE * Long.BYTES;
    }

    /**
     * The encoding of {@code floats}' remaining bytes (little-endian floats), or null when it
     * would not be at most half their size. {@code floats} is not changed.
     */
    static ByteBuffer encode(ByteBuffer floats) {
        ByteBuffer in = floats.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int start = in.position();
        int n = in.remaining() / Float.BYTES;
        int granules = granules(n);
        if (granules < MIN_GRANULES || sampledDense(in, start, n, granules)) {
            return null;
        }
        long[] bitmap = new long[bitmapBytes(n) / Long.BYTES];
        int set = 0;
        for (int g = 0; g < granules; g++) {
            if (!zero(in, start, n, g)) {
                bitmap[g / Long.SIZE] |= 1L << (g % Long.SIZE);
                if (++set > granules / 2) {
                    return null;
                }
            }
        }
        ByteBuffer out = ByteBuffer.allocate(bitmap.length * Long.BYTES + set * GRANULE_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (long word : bitmap) {
            out.putLong(word);
        }
        for (int g = 0; g < granules; g++) {
            if ((bitmap[g / Long.SIZE] & 1L << (g % Long.SIZE)) != 0) {
                out.put(in.slice(start + g * GRANULE_BYTES, lengthOf(g, n)));
            }
        }
        return out.flip();
    }

    private static boolean sampledDense(ByteBuffer in, int start, int n, int granules) {
        int set = 0;
        for (int s = 0; s < SAMPLES; s++) {
            set += zero(in, start, n, (int) ((long) s * granules / SAMPLES)) ? 0 : 1;
        }
        return set > SAMPLES / 2;
    }

    /** Whether every bit of granule g is zero. */
    private static boolean zero(ByteBuffer in, int start, int n, int g) {
        int from = start + g * GRANULE_BYTES;
        int to = start + Math.min(n, (g + 1) * GRANULE_FLOATS) * Float.BYTES;
        long bits = 0;
        int at = from;
        for (; at + Long.BYTES <= to; at += Long.BYTES) {
            bits |= in.getLong(at);
        }
        for (; at < to; at += Integer.BYTES) {
            bits |= in.getInt(at);
        }
        return bits == 0;
    }

    /**
     * Writes the {@code n} floats that {@code payload}'s readable bytes encode into {@code into}
     * (as little-endian bytes from its writer index on, advancing it), zeros where a granule was
     * left out.
     *
     * @return null, or what is wrong with the payload (then {@code into} holds nothing usable)
     */
    static String decode(ByteBuf payload, int n, ByteBuf into) {
        int granules = granules(n);
        int bitmapBytes = bitmapBytes(n);
        if (n < 1 || payload.readableBytes() < bitmapBytes) {
            return "a sparse frame of " + n + " floats with " + payload.readableBytes() + " bytes";
        }
        int at = payload.readerIndex();
        int words = bitmapBytes / Long.BYTES;
        long set = 0;
        for (int w = 0; w < words; w++) {
            set += Long.bitCount(payload.getLongLE(at + w * Long.BYTES));
        }
        int last = granules - 1;
        long tail = granules % Long.SIZE == 0 ? 0 : payload.getLongLE(at + (words - 1) * Long.BYTES) >>> (granules % Long.SIZE);
        if (tail != 0) {
            return "a sparse frame of " + n + " floats that marks granules past its end";
        }
        long floatBytes = set * GRANULE_BYTES - (bit(payload, at, last) ? GRANULE_BYTES - lengthOf(last, n) : 0);
        if (bitmapBytes + floatBytes != payload.readableBytes()) {
            return "a sparse frame whose bitmap marks " + floatBytes + " bytes of floats, not the "
                    + (payload.readableBytes() - bitmapBytes) + " it carries";
        }
        int base = into.writerIndex();
        into.setZero(base, n * Float.BYTES);
        int from = at + bitmapBytes;
        for (int g = 0; g < granules; g++) {
            if (bit(payload, at, g)) {
                int length = lengthOf(g, n);
                into.setBytes(base + g * GRANULE_BYTES, payload, from, length);
                from += length;
            }
        }
        into.writerIndex(base + n * Float.BYTES);
        return null;
    }

    /** Bytes of granule g of a frame of n floats. */
    private static int lengthOf(int g, int n) {
        return Math.min(GRANULE_BYTES, (n - g * GRANULE_FLOATS) * Float.BYTES);
    }

    private static boolean bit(ByteBuf payload, int at, int g) {
        return (payload.getLongLE(at + g / Long.SIZE * Long.BYTES) & 1L << (g % Long.SIZE)) != 0;
    }
}
