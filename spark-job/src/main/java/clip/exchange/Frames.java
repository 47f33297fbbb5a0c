package clip.exchange;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.CorruptedFrameException;
import java.util.List;

/**
 * Splits a connection's bytes into frames, each preceded by its length as 4 bytes, refusing any
 * longer than the current limit before buffering it. A connection starts with the handshake's
 * limit, so a stranger can make a worker hold no more than one handshake message; the limit is
 * raised to data frames' size once the peer has authenticated.
 */
final class Frames extends ByteToMessageDecoder {
    private int limit;
    private boolean refused;

    Frames(int limit) {
        this.limit = limit;
    }

    /** Called on the connection's event loop once its peer has authenticated. */
    void raiseLimit(int limit) {
        this.limit = limit;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (refused) {
            in.skipBytes(in.readableBytes()); // the connection is closing: keep nothing
            return;
        }
        while (in.readableBytes() >= Integer.BYTES) {
            int length = in.getInt(in.readerIndex());
            if (length < 1 || length > limit) {
                refused = true;
                in.skipBytes(in.readableBytes());
                throw new CorruptedFrameException("a frame of " + Integer.toUnsignedString(length) + " bytes (at most " + limit
                        + " allowed here)");
            }
            if (in.readableBytes() < Integer.BYTES + length) {
                return;
            }
            in.skipBytes(Integer.BYTES);
            out.add(in.readRetainedSlice(length));
        }
    }
}
