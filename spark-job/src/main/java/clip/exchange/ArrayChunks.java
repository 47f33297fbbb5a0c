package clip.exchange;

import io.netty.buffer.ByteBuf;
import java.nio.ByteOrder;

/** The chunks of an all-to-all of arrays, assembled into one array per source, of the length the source says. */
final class ArrayChunks implements ChunkSink {
    private final int self;
    private final float[][] arrays;
    private final int[] filled;

    ArrayChunks(int size, int self) {
        this.self = self;
        this.arrays = new float[size][];
        this.filled = new int[size];
    }

    @Override
    public String accept(int src, int offset, int total, ByteBuf floats) {
        if (arrays[src] == null) {
            arrays[src] = new float[total];
        }
        int n = floats.readableBytes() / Float.BYTES;
        if (arrays[src].length != total || offset < 0 || offset + n > total || floats.readableBytes() % Float.BYTES != 0) {
            return "a malformed chunk (offset " + offset + ", " + n + " of " + total + " floats)";
        }
        floats.nioBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(arrays[src], offset, n);
        filled[src] += n;
        return null;
    }

    @Override
    public boolean complete() {
        for (int src = 0; src < arrays.length; src++) {
            if (waitsFor(src)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean waitsFor(int src) {
        return src != self && (arrays[src] == null || filled[src] < arrays[src].length);
    }

    /** One array per source; this worker's own entry is null. */
    float[][] arrays() {
        return arrays;
    }
}
