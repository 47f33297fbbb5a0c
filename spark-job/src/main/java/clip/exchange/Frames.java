package clip.exchange;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.CorruptedFrameException;

/**
 * Splits a connection's bytes into frames, each preceded by its length as 4 bytes, refusing any
 * longer than the current limit before buffering it. Each frame is copied once, from the socket's
 * read buffers into a buffer of exactly its size (a cumulating decoder would copy a 1 MB frame
 * about three times as its buffer grows). A connection starts with the handshake's limit, so a
 * stranger can make a worker hold no more than one handshake message; the limit is raised to
 * data frames' size once the peer has authenticated.
 */
final class Frames extends ChannelInboundHandlerAdapter {
    private final ByteBuf length = Unpooled.buffer(Integer.BYTES, Integer.BYTES);
    private int limit;
    private boolean refused;
    private ByteBuf frame;

    Frames(int limit) {
        this.limit = limit;
    }

    /** Called on the connection's event loop once its peer has authenticated. */
    void raiseLimit(int limit) {
        this.limit = limit;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        try {
            while (in.isReadable() && !refused) {
                if (frame == null) {
                    length.writeBytes(in, Math.min(length.writableBytes(), in.readableBytes()));
                    if (length.isWritable()) {
                        return;
                    }
                    int n = length.readInt();
                    length.clear();
                    if (n < 1 || n > limit) {
                        refused = true; // the connection is closing: keep nothing
                        ctx.fireExceptionCaught(new CorruptedFrameException("a frame of " + Integer.toUnsignedString(n)
                                + " bytes (at most " + limit + " allowed here)"));
                        return;
                    }
                    frame = ctx.alloc().directBuffer(n, n);
                }
                frame.writeBytes(in, Math.min(frame.writableBytes(), in.readableBytes()));
                if (!frame.isWritable()) {
                    ByteBuf whole = frame;
                    frame = null;
                    ctx.fireChannelRead(whole);
                }
            }
        } finally {
            in.release();
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (frame != null) {
            frame.release();
            frame = null;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        handlerRemoved(ctx);
        ctx.fireChannelInactive();
    }
}
