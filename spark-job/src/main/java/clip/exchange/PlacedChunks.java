package clip.exchange;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;

/**
 * The chunks of an all-gather over one flat buffer: worker s's floats go, as they arrive, to
 * {@code [bounds[s], bounds[s+1])} of this worker's buffer, with no array in between.
 */
final class PlacedChunks implements ChunkSink {
    private final ByteBuffer flat;
    private final int[] bounds;
    private final int self;
    private final int[] filled;

    PlacedChunks(ByteBuffer flat, int[] bounds, int self) {
        this.flat = flat;
        this.bounds = bounds;
        this.self = self;
        this.filled = new int[bounds.length - 1];
    }

    @Override
    public String accept(int src, int offset, int total, ByteBuf floats) {
        int n = floats.readableBytes() / Float.BYTES;
        int expected = bounds[src + 1] - bounds[src];
        if (total != expected || offset < 0 || offset + n > total || floats.readableBytes() % Float.BYTES != 0
                || filled[src] + n > total) {
            return "a malformed chunk (offset " + offset + ", " + n + " of " + total + " floats; " + expected + " expected)";
        }
        floats.getBytes(floats.readerIndex(), flat.duplicate().position((bounds[src] + offset) * Float.BYTES)
                .limit((bounds[src] + offset + n) * Float.BYTES));
        filled[src] += n;
        return null;
    }

    @Override
    public boolean complete() {
        for (int src = 0; src < filled.length; src++) {
            if (waitsFor(src)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean waitsFor(int src) {
        // an empty part is not sent at all
        return src != self && filled[src] < bounds[src + 1] - bounds[src];
    }
}
