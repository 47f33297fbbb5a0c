package clip.exchange;

import io.netty.buffer.ByteBuf;

/**
 * A subgroup's sink as the mailbox sees it: chunks arrive from ranks of the whole group, and the
 * sink knows the subgroup's members by their index. A chunk from a worker outside the subgroup
 * is refused, as any malformed chunk is.
 */
final class MemberChunks implements ChunkSink {
    private final ChunkSink sink;
    private final int[] indexOf;

    /** @param members the subgroup's ranks in the whole group of {@code size}, member i first at i */
    MemberChunks(ChunkSink sink, int[] members, int size) {
        this.sink = sink;
        this.indexOf = new int[size];
        java.util.Arrays.fill(indexOf, -1);
        for (int i = 0; i < members.length; i++) {
            indexOf[members[i]] = i;
        }
    }

    @Override
    public void start() {
        sink.start();
    }

    @Override
    public String accept(int src, int offset, int total, ByteBuf floats) {
        return indexOf[src] < 0 ? "a chunk for an exchange of a subgroup it is not in" : sink.accept(indexOf[src], offset, total, floats);
    }

    @Override
    public boolean complete() {
        return sink.complete();
    }

    @Override
    public boolean waitsFor(int src) {
        return indexOf[src] >= 0 && sink.waitsFor(indexOf[src]);
    }

    @Override
    public void release() {
        sink.release();
    }
}
