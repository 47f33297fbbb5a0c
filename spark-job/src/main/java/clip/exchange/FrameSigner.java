package clip.exchange;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;

/**
 * Signs the data frames of one connection on its event loop, each just before the socket takes
 * it: a frame waits here unsigned until the connection's outbound buffer has drained below its
 * low-water mark (NettyGroup sets it to one frame), then NH reads its payload and the socket
 * copies it soon after, while it is still in cache (signed when queued, the payload was read
 * from memory twice, once for the tag and once by the socket). The event loop signs the frames in the order they reach the wire,
 * which is the order of the tags' sequence numbers ({@link FrameMac}). It sits next to the
 * pipeline's head, below the length prefixer, and writes a data frame's length itself.
 */
final class FrameSigner extends ChannelDuplexHandler {
    private final FrameMac mac;
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private ChannelHandlerContext ctx;
    private boolean sendScheduled;

    /** A data frame to send: its header's bytes and its payload, a view of the caller's buffer. */
    record Unsigned(byte[] header, ByteBuffer payload) {
    }

    /** A frame and, for the last of a part, the promise the caller awaits. */
    private record Pending(Unsigned frame, ChannelPromise promise) {
    }

    FrameSigner(FrameMac mac) {
        this.mac = mac;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    /**
     * Queues one part's frames, in order, in one task of the event loop (not a pipeline write
     * per frame). From any thread; the future completes once the last frame has been written,
     * or fails if the connection goes first.
     */
    ChannelFuture send(List<Unsigned> frames) {
        ChannelPromise done = ctx.newPromise();
        try {
            ctx.executor().execute(() -> queue(frames, done));
        } catch (RejectedExecutionException e) {
            done.tryFailure(new ClosedChannelException()); // the group is closing
        }
        return done;
    }

    private void queue(List<Unsigned> frames, ChannelPromise done) {
        for (int i = 0; i < frames.size(); i++) {
            pending.add(new Pending(frames.get(i), i == frames.size() - 1 ? done : null));
        }
        if (ctx.channel().isActive()) {
            sendLater();
        } else {
            failPending();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        sendLater();
        ctx.fireChannelWritabilityChanged();
    }

    /**
     * Signs and sends in a task of the event loop's own rather than inside the pipeline's call:
     * compiled into Netty's deep write or writability path, NH's Vector API operations were left
     * as calls by the JIT (C2 ran out of inlining budget), and every later step took 3x as long.
     */
    private void sendLater() {
        if (!sendScheduled && !pending.isEmpty() && ctx.channel().isWritable()) {
            sendScheduled = true;
            ctx.executor().execute(() -> {
                sendScheduled = false;
                sendWhileWritable();
                ctx.flush();
            });
        }
    }

    private void sendWhileWritable() {
        while (!pending.isEmpty() && ctx.channel().isWritable()) {
            Pending p = pending.poll();
            byte[] header = p.frame().header();
            ByteBuffer payload = p.frame().payload();
            byte[] tag = mac.sign(ByteBuffer.wrap(header), payload);
            // the length prefix here rather than by the pipeline's encoder: no pooled buffer per frame
            int length = header.length + payload.remaining() + tag.length;
            ctx.write(Unpooled.wrappedBuffer(ByteBuffer.allocate(Integer.BYTES).putInt(length).array(), header), ctx.voidPromise());
            ctx.write(Unpooled.wrappedBuffer(payload), ctx.voidPromise());
            ctx.write(Unpooled.wrappedBuffer(tag), p.promise() == null ? ctx.voidPromise() : p.promise());
        }
    }

    /** Frames not yet signed will not be sent: their parts' writes fail. */
    private void failPending() {
        for (Pending p = pending.poll(); p != null; p = pending.poll()) {
            if (p.promise() != null) {
                p.promise().tryFailure(new ClosedChannelException());
            }
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        failPending();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        failPending();
        super.channelInactive(ctx);
    }
}
