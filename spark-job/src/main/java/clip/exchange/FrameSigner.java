package clip.exchange;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;

/**
 * Signs the data frames of one connection on its event loop, each just before the socket takes
 * it: a frame waits here unsigned until the connection's outbound buffer has drained below its
 * low-water mark, then NH reads its payload and the socket copies it right after, while it is
 * still in cache (signed when queued, the payload was read from memory twice, once for the tag
 * and once by the socket). The event loop signs the frames in the order they reach the wire,
 * which is the order of the tags' sequence numbers ({@link FrameMac}). It sits next to the
 * pipeline's head, below the length prefixer, and writes a data frame's length itself.
 */
final class FrameSigner extends ChannelDuplexHandler {
    private final FrameMac mac;
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private boolean sendScheduled;

    /** A data frame to send: its header's bytes and its payload, a view of the caller's buffer. */
    record Unsigned(byte[] header, ByteBuffer payload) {
    }

    private record Pending(Unsigned frame, ChannelPromise promise) {
    }

    FrameSigner(FrameMac mac) {
        this.mac = mac;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof Unsigned u) {
            pending.add(new Pending(u, promise));
            if (!ctx.channel().isActive()) {
                handlerRemoved(ctx);
            }
        } else {
            ctx.write(msg, promise);
        }
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        sendLater(ctx);
        ctx.flush();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        sendLater(ctx);
        ctx.fireChannelWritabilityChanged();
    }

    /**
     * Signs and sends in a task of the event loop's own rather than inside the pipeline's call:
     * compiled into Netty's deep write or writability path, NH's Vector API operations were left
     * as calls by the JIT (C2 ran out of inlining budget), and every later step took 3x as long.
     */
    private void sendLater(ChannelHandlerContext ctx) {
        if (!sendScheduled && !pending.isEmpty() && ctx.channel().isWritable()) {
            sendScheduled = true;
            ctx.executor().execute(() -> {
                sendScheduled = false;
                sendWhileWritable(ctx);
                ctx.flush();
            });
        }
    }

    private void sendWhileWritable(ChannelHandlerContext ctx) {
        while (!pending.isEmpty() && ctx.channel().isWritable()) {
            Pending p = pending.poll();
            byte[] header = p.frame().header();
            ByteBuffer payload = p.frame().payload();
            byte[] tag = mac.sign(ByteBuffer.wrap(header), payload);
            // the length prefix here rather than by the pipeline's encoder: no pooled buffer per frame
            int length = header.length + payload.remaining() + tag.length;
            ctx.write(Unpooled.wrappedBuffer(ByteBuffer.allocate(Integer.BYTES).putInt(length).array(), header), ctx.voidPromise());
            ctx.write(Unpooled.wrappedBuffer(payload), ctx.voidPromise());
            ctx.write(Unpooled.wrappedBuffer(tag), p.promise());
        }
    }

    /** Frames not yet signed fail their writes when the connection goes: they will not be sent. */
    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        for (Pending p = pending.poll(); p != null; p = pending.poll()) {
            p.promise().tryFailure(new ClosedChannelException());
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        handlerRemoved(ctx);
        super.channelInactive(ctx);
    }
}
