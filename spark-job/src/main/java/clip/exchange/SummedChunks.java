package clip.exchange;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The chunks of a reduce-scatter, summed into this worker's shard as they arrive, yet always in
 * rank order, so the sums are the same bits whatever the arrival order: chunk c of the shard is
 * {@code ((0 + part_0) + part_1) + ...}. A chunk that arrives before its turn (from a faster
 * rank, for that chunk) is held in its network buffer until the ranks before it are in; this
 * worker's own part joins at its turn from the flat buffer it sent from. All workers cut the
 * parts into chunks of the same size, which the sink checks.
 */
final class SummedChunks implements ChunkSink {
    private final ByteBuffer own;
    private final ByteBuffer sum;
    private final int self;
    private final int size;
    private final int chunkFloats;
    private final int total;
    private final int[] next;
    private final ByteBuf[][] held;

    /**
     * @param own this worker's own part of the shard (little-endian floats)
     * @param sum where the shard's sum goes, as many floats as {@code own}
     */
    SummedChunks(ByteBuffer own, ByteBuffer sum, int self, int size, int chunkFloats) {
        this.own = own.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        this.sum = sum.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        this.self = self;
        this.size = size;
        this.chunkFloats = chunkFloats;
        this.total = own.remaining() / Float.BYTES;
        if (sum.remaining() != own.remaining()) {
            throw new IllegalArgumentException("the sum has room for " + sum.remaining() / Float.BYTES + " floats, the shard has "
                    + total);
        }
        int chunks = Math.max(1, (total + chunkFloats - 1) / chunkFloats);
        this.next = new int[chunks];
        this.held = new ByteBuf[chunks][size];
    }

    @Override
    public void start() {
        for (int c = 0; c < next.length; c++) {
            advance(c);
        }
    }

    @Override
    public String accept(int src, int offset, int total, ByteBuf floats) {
        int c = offset / chunkFloats;
        int n = floats.readableBytes() / Float.BYTES;
        if (total != this.total || offset % chunkFloats != 0 || c >= next.length || n != length(c)
                || floats.readableBytes() % Float.BYTES != 0 || next[c] > src || held[c][src] != null) {
            return "a malformed chunk (offset " + offset + ", " + n + " of " + total + " floats; " + this.total
                    + " expected in chunks of " + chunkFloats + ")";
        }
        held[c][src] = floats.retain();
        advance(c);
        return null;
    }

    private int length(int c) {
        return Math.min(chunkFloats, total - c * chunkFloats);
    }

    /** Adds chunk c's parts whose turn has come. */
    private void advance(int c) {
        while (next[c] < size) {
            int r = next[c];
            int at = c * chunkFloats * Float.BYTES;
            if (r == self) {
                add(c, own, at);
            } else if (held[c][r] != null) {
                ByteBuf part = held[c][r];
                held[c][r] = null;
                try {
                    add(c, part.nioBuffer().order(ByteOrder.LITTLE_ENDIAN), part.nioBuffer().position());
                } finally {
                    part.release();
                }
            } else {
                return;
            }
            next[c]++;
        }
    }

    private void add(int c, ByteBuffer part, int from) {
        int to = c * chunkFloats * Float.BYTES;
        FloatSums.add(sum, to, part, from, length(c), next[c] == 0);
    }

    @Override
    public boolean complete() {
        for (int n : next) {
            if (n < size) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean waitsFor(int src) {
        for (int c = 0; c < next.length; c++) {
            if (src != self && next[c] <= src && held[c][src] == null) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void release() {
        for (ByteBuf[] chunk : held) {
            for (int r = 0; r < chunk.length; r++) {
                if (chunk[r] != null) {
                    chunk[r].release();
                    chunk[r] = null;
                }
            }
        }
    }
}
