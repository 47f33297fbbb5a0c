package clip.exchange;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.DefaultMaxMessagesRecvByteBufAllocator;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.CorruptedFrameException;

/**
 * Splits a connection's bytes into frames, each preceded by its length as 4 bytes, refusing any
 * longer than the current limit before buffering it. The socket reads each frame straight into
 * a buffer of the frame's size: as the connection's receive-buffer allocator ({@link #install})
 * this hands Netty the unfilled part of the current frame, and only the 4 length bytes between
 * frames are read apart. (Netty's own read buffers cost a copy of every frame out of them, and
 * a cumulating decoder about three as its buffer grows.) A frame's buffer that nobody kept once
 * it was handled takes the next frame, so a connection's frames mostly land in memory that is
 * still in cache. A connection starts with the handshake's limit, so a stranger can make a
 * worker hold no more than one handshake message; the limit is raised to data frames' size once
 * the peer has authenticated.
 */
final class Frames extends ChannelInboundHandlerAdapter {
    /** Reads per readiness of the socket: a length and a frame's bytes take at least two. */
    private static final int READS_PER_WAKE_UP = 64;
    private final ByteBuf length = Unpooled.buffer(Integer.BYTES, Integer.BYTES);
    private int limit;
    private boolean refused;
    /** The frame being read, its size, and the part of it or of the length handed to the socket's current read. */
    private ByteBuf frame;
    private int frameBytes;
    private ByteBuf reading;
    private ByteBuf readInto;
    /** A handled frame's buffer that nobody kept, for the next frame. */
    private ByteBuf spare;

    private Frames(int limit) {
        this.limit = limit;
    }

    /** Adds this to the channel's pipeline, first, and makes the channel's reads land where it says. */
    static Frames install(SocketChannel ch, int limit) {
        Frames frames = new Frames(limit);
        ch.config().setRecvByteBufAllocator(frames.new Reads());
        ch.pipeline().addFirst(frames);
        return frames;
    }

    /** Called on the connection's event loop once its peer has authenticated. */
    void raiseLimit(int limit) {
        this.limit = limit;
    }

    /** The buffer for the socket's next read: where the missing length bytes go, or the unfilled part of the frame. */
    private ByteBuf nextRead() {
        readInto = frame == null || refused ? length : frame;
        int at = readInto.writerIndex();
        reading = readInto.retainedSlice(at, (readInto == frame ? frameBytes : Integer.BYTES) - at).writerIndex(0);
        return reading;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        try {
            if (in == reading) {
                reading = null;
                readInto.writerIndex(readInto.writerIndex() + in.readableBytes());
                in.skipBytes(in.readableBytes());
            }
            if (refused) {
                length.clear(); // the connection is closing: keep nothing
                return;
            }
            while ((in.isReadable() || frame == null && !length.isWritable() || frame != null
                    && frame.writerIndex() == frameBytes)) {
                if (frame == null && !startFrame(ctx, in)) {
                    return;
                }
                frame.writeBytes(in, Math.min(frameBytes - frame.writerIndex(), in.readableBytes()));
                if (frame.writerIndex() == frameBytes) {
                    handOn(ctx);
                }
            }
        } finally {
            in.release();
        }
    }

    /** Takes length bytes from {@code in}; once all four are in, starts the frame they announce. False until then. */
    private boolean startFrame(ChannelHandlerContext ctx, ByteBuf in) {
        length.writeBytes(in, Math.min(length.writableBytes(), in.readableBytes()));
        if (length.isWritable()) {
            return false;
        }
        int n = length.readInt();
        length.clear();
        if (n < 1 || n > limit) {
            refused = true; // the connection is closing: keep nothing
            ctx.fireExceptionCaught(new CorruptedFrameException("a frame of " + Integer.toUnsignedString(n) + " bytes (at most "
                    + limit + " allowed here)"));
            return false;
        }
        if (spare != null && spare.capacity() >= n) {
            frame = spare.clear();
            spare = null;
        } else {
            frame = ctx.alloc().directBuffer(n, n);
        }
        frameBytes = n;
        return true;
    }

    /** Passes the whole frame on; its buffer takes the next frame unless a handler kept it. */
    private void handOn(ChannelHandlerContext ctx) {
        ByteBuf whole = frame.writerIndex(frameBytes);
        frame = null;
        ctx.fireChannelRead(whole.retain());
        if (whole.refCnt() == 1 && (spare == null || spare.capacity() < whole.capacity())) {
            if (spare != null) {
                spare.release();
            }
            spare = whole;
        } else {
            whole.release();
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        for (ByteBuf b : new ByteBuf[] {frame, spare}) {
            if (b != null) {
                b.release();
            }
        }
        frame = null;
        spare = null;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        handlerRemoved(ctx);
        ctx.fireChannelInactive();
    }

    /** The connection's receive-buffer allocator: each read goes where {@link #nextRead} says. */
    private final class Reads extends DefaultMaxMessagesRecvByteBufAllocator {
        Reads() {
            super(READS_PER_WAKE_UP);
        }

        @Override
        public Handle newHandle() {
            return new MaxMessageHandle() {
                @Override
                public ByteBuf allocate(ByteBufAllocator alloc) {
                    return nextRead();
                }

                @Override
                public int guess() {
                    return frame == null ? length.writableBytes() : frameBytes - frame.writerIndex();
                }
            };
        }
    }
}
