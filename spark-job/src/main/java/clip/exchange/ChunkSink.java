package clip.exchange;

import io.netty.buffer.ByteBuf;

/**
 * Where one exchange's chunks go as they arrive from the peers, already authenticated: into
 * arrays, into place in a flat buffer, or summed. The {@link Mailbox} calls it under its lock.
 */
interface ChunkSink {
    /** Called once when the exchange begins on this worker, before any chunk. */
    default void start() {
    }

    /**
     * Takes floats {@code [offset, offset + n)} of the {@code total} that {@code src} sends,
     * as little-endian bytes (retained if kept beyond the call).
     *
     * @return null, or what is wrong with the chunk
     */
    String accept(int src, int offset, int total, ByteBuf floats);

    /** Whether everything from every peer has arrived and been used. */
    boolean complete();

    /** Whether {@code src}'s part is still missing. */
    boolean waitsFor(int src);

    /** Gives back what it holds, when the exchange ends either way. */
    default void release() {
    }
}
