package clip.exchange;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

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
        int chunks = (total + chunkFloats - 1) / chunkFloats; // none for an empty shard: nobody sends to it
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

    /** Adds chunk c's parts whose turn has come, all in one pass over the sum. */
    private void advance(int c) {
        List<ByteBuffer> ready = new ArrayList<>();
        List<ByteBuf> used = new ArrayList<>();
        int first = next[c];
        while (next[c] < size) {
            int r = next[c];
            if (r == self) {
                ready.add(own.slice(c * chunkFloats * Float.BYTES, length(c) * Float.BYTES));
            } else if (held[c][r] != null) {
                used.add(held[c][r]);
                ready.add(held[c][r].nioBuffer());
                held[c][r] = null;
            } else {
                break;
            }
            next[c]++;
        }
        try {
            if (!ready.isEmpty()) {
                FloatSums.add(sum, c * chunkFloats * Float.BYTES, ready.toArray(new ByteBuffer[0]), length(c), first == 0);
            }
        } finally {
            used.forEach(ByteBuf::release);
        }
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
