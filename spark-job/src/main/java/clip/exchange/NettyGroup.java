package clip.exchange;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The workers of one job exchanging over TCP with Netty. Every worker listens on one port and
 * opens one connection to each peer; a connection carries data one way, from the worker that
 * opened it. Both ends authenticate with the job's secret before any data is accepted: the
 * listener challenges with a nonce, the connecting worker answers with an HMAC over it and its
 * rank, and the listener proves itself the same way over the connecting worker's nonce.
 * Arrays travel in chunks of bounded size; every exchange has a deadline.
 */
public final class NettyGroup implements Collective, AutoCloseable {
    private static final byte CHALLENGE = 1;
    private static final byte HELLO = 2;
    private static final byte WELCOME = 3;
    private static final byte DATA = 4;
    private static final int MAX_FRAME = 64 << 20;
    private static final byte[] HELLO_TAG = {'h', 'e', 'l', 'l', 'o'};
    private static final byte[] WELCOME_TAG = {'w', 'e', 'l', 'c', 'o', 'm', 'e'};

    private final int rank;
    private final int size;
    private final JobSecret secret;
    private final long deadlineMillis;
    private final int chunkFloats;
    private final EventLoopGroup loop;
    private final Channel server;
    private final Mailbox mailbox;
    private final Channel[] outbound;
    private List<InetSocketAddress> peers;
    private long exchange;

    private NettyGroup(int rank, int size, JobSecret secret, long deadlineMillis, int chunkFloats, InetSocketAddress bind) {
        Collective.checkRank(rank, size);
        this.rank = rank;
        this.size = size;
        this.secret = secret;
        this.deadlineMillis = deadlineMillis;
        this.chunkFloats = chunkFloats;
        this.mailbox = new Mailbox(size);
        this.outbound = new Channel[size];
        this.loop = new NioEventLoopGroup(2, new DefaultThreadFactory("clip-dist-" + rank, true));
        ServerBootstrap sb = new ServerBootstrap().group(loop).channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        framed(ch).addLast(new Inbound());
                    }
                });
        try {
            this.server = sb.bind(bind).syncUninterruptibly().channel();
        } catch (RuntimeException e) {
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw new PeerFailureException("worker " + rank + ": cannot listen on " + bind + ": " + e.getMessage(), e);
        }
    }

    /**
     * Starts listening; the group is usable once {@link #connect} has been given every worker's
     * {@link #address()}.
     *
     * @param bind        host and port to listen on (port 0: any free port)
     * @param chunkFloats floats per frame on the wire
     */
    public static NettyGroup listen(int rank, int size, JobSecret secret, InetSocketAddress bind, long deadlineMillis,
                                    int chunkFloats) {
        return new NettyGroup(rank, size, secret, deadlineMillis, chunkFloats, bind);
    }

    /** Where peers reach this worker. */
    public InetSocketAddress address() {
        return (InetSocketAddress) server.localAddress();
    }

    /** Connects to every peer ({@code peers} in rank order, this worker's own entry included) and authenticates. */
    public void connect(List<InetSocketAddress> peers) {
        if (peers.size() != size) {
            throw new IllegalArgumentException("need " + size + " peer addresses, got " + peers.size());
        }
        this.peers = List.copyOf(peers);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(deadlineMillis);
        for (int dst = 0; dst < size; dst++) {
            if (dst != rank) {
                outbound[dst] = open(dst, deadline);
            }
        }
    }

    private Channel open(int dst, long deadline) {
        Promise<Channel> welcomed = loop.next().newPromise();
        Bootstrap b = new Bootstrap().group(loop).channel(NioSocketChannel.class).option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, deadlineMillis))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        framed(ch).addLast(new Outbound(dst, welcomed));
                    }
                });
        ChannelFuture connected = b.connect(peers.get(dst));
        connected.addListener(f -> {
            if (!f.isSuccess()) {
                welcomed.tryFailure(f.cause());
            }
        });
        try {
            long left = Math.max(1, deadline - System.nanoTime());
            return welcomed.get(left, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            connected.channel().close();
            throw new PeerFailureException("worker " + rank + ": " + describe(dst) + " did not complete the handshake within "
                    + deadlineMillis + " ms", e);
        } catch (ExecutionException e) {
            connected.channel().close();
            throw new PeerFailureException("worker " + rank + ": cannot join " + describe(dst) + ": " + e.getCause().getMessage(),
                    e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PeerFailureException("worker " + rank + ": interrupted while connecting to " + describe(dst), e);
        }
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public float[][] allToAll(float[][] send) {
        checkOnePerRank(send);
        if (peers == null && size > 1) {
            throw new IllegalStateException("connect() first");
        }
        long id = exchange++;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(deadlineMillis);
        List<ChannelFuture> writes = new ArrayList<>();
        for (int dst = 0; dst < size; dst++) {
            if (dst != rank) {
                writes.addAll(sendTo(dst, id, send[dst]));
            }
        }
        float[][] received = mailbox.await(id, rank, deadline, this::describe);
        received[rank] = send[rank];
        // Our data must have left before the caller may close the group.
        for (ChannelFuture w : writes) {
            long left = deadline - System.nanoTime();
            if (!w.awaitUninterruptibly(Math.max(1, left), TimeUnit.NANOSECONDS)) {
                throw new PeerFailureException("worker " + rank + ": sending to a peer did not finish within " + deadlineMillis + " ms",
                        null);
            }
            if (!w.isSuccess()) {
                throw new PeerFailureException("worker " + rank + ": sending failed: " + w.cause().getMessage(), w.cause());
            }
        }
        return received;
    }

    private List<ChannelFuture> sendTo(int dst, long id, float[] data) {
        Channel ch = outbound[dst];
        List<ChannelFuture> writes = new ArrayList<>();
        int offset = 0;
        do {
            int n = Math.min(chunkFloats, data.length - offset);
            ByteBuf frame = Unpooled.buffer(1 + Long.BYTES + 2 * Integer.BYTES + n * Float.BYTES);
            frame.writeByte(DATA).writeLong(id).writeInt(offset).writeInt(data.length);
            int at = frame.writerIndex();
            frame.nioBuffer(at, n * Float.BYTES).asFloatBuffer().put(data, offset, n);
            frame.writerIndex(at + n * Float.BYTES);
            writes.add(ch.write(frame));
            offset += n;
        } while (offset < data.length);
        ch.flush();
        return writes;
    }

    private String describe(int peer) {
        return "worker " + peer + (peers == null ? "" : " at " + peers.get(peer).getHostString() + ":" + peers.get(peer).getPort());
    }

    @Override
    public void close() {
        mailbox.fail("the group was closed");
        server.close();
        for (Channel c : outbound) {
            if (c != null) {
                c.close();
            }
        }
        loop.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }

    private static io.netty.channel.ChannelPipeline framed(SocketChannel ch) {
        return ch.pipeline().addLast(new LengthFieldBasedFrameDecoder(MAX_FRAME, 0, 4, 0, 4), new LengthFieldPrepender(4));
    }

    private static byte[] bytes(ByteBuf in, int n) {
        byte[] b = new byte[n];
        in.readBytes(b);
        return b;
    }

    private static byte[] intBytes(int v) {
        return ByteBuffer.allocate(Integer.BYTES).putInt(v).array();
    }

    /** The listening end of a peer's connection: challenges it, then takes its data. */
    private final class Inbound extends SimpleChannelInboundHandler<ByteBuf> {
        private final byte[] nonce = JobSecret.nonce();
        private int peer = -1;

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ByteBuf m = ctx.alloc().buffer(1 + nonce.length).writeByte(CHALLENGE).writeBytes(nonce);
            ctx.writeAndFlush(m);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf in) {
            byte type = in.readByte();
            if (peer < 0) {
                int claimed = type == HELLO && in.readableBytes() >= Integer.BYTES ? in.readInt() : -1;
                int n = JobSecret.nonceBytes();
                if (claimed < 0 || claimed >= size || claimed == rank || in.readableBytes() != 2 * n) {
                    ctx.close();
                    return;
                }
                byte[] theirNonce = bytes(in, n);
                byte[] mac = bytes(in, n);
                if (!secret.verify(secret.mac(HELLO_TAG, nonce, intBytes(claimed), intBytes(size)), mac)) {
                    ctx.close(); // not of this job: say nothing that would help a guesser
                    return;
                }
                peer = claimed;
                byte[] proof = secret.mac(WELCOME_TAG, theirNonce, intBytes(rank));
                ctx.writeAndFlush(ctx.alloc().buffer(1 + Integer.BYTES + proof.length).writeByte(WELCOME).writeInt(rank)
                        .writeBytes(proof));
                return;
            }
            if (type != DATA) {
                mailbox.fail(describe(peer) + " sent an unexpected message of type " + type);
                ctx.close();
                return;
            }
            long id = in.readLong();
            int offset = in.readInt();
            int total = in.readInt();
            mailbox.receive(peer, id, offset, total, in.nioBuffer());
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (peer >= 0) {
                mailbox.fail("the connection from " + describe(peer) + " closed");
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (peer >= 0) {
                mailbox.fail("the connection from " + describe(peer) + " failed: " + cause.getMessage());
            }
            ctx.close();
        }
    }

    /** The connecting end: answers the challenge, checks the listener's proof, then only sends. */
    private final class Outbound extends SimpleChannelInboundHandler<ByteBuf> {
        private final int peer;
        private final Promise<Channel> welcomed;
        private final byte[] nonce = JobSecret.nonce();

        Outbound(int peer, Promise<Channel> welcomed) {
            this.peer = peer;
            this.welcomed = welcomed;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf in) {
            byte type = in.readByte();
            int n = JobSecret.nonceBytes();
            if (type == CHALLENGE && in.readableBytes() == n && !welcomed.isDone()) {
                byte[] challenge = bytes(in, n);
                byte[] mac = secret.mac(HELLO_TAG, challenge, intBytes(rank), intBytes(size));
                ctx.writeAndFlush(ctx.alloc().buffer(1 + Integer.BYTES + 2 * n).writeByte(HELLO).writeInt(rank).writeBytes(nonce)
                        .writeBytes(mac));
            } else if (type == WELCOME && in.readableBytes() == Integer.BYTES + n && !welcomed.isDone()) {
                int theirRank = in.readInt();
                byte[] proof = bytes(in, n);
                if (theirRank != peer || !secret.verify(secret.mac(WELCOME_TAG, nonce, intBytes(peer)), proof)) {
                    welcomed.tryFailure(new IllegalStateException("it failed to prove it belongs to this job (wrong secret or rank)"));
                    ctx.close();
                    return;
                }
                welcomed.trySuccess(ctx.channel());
            } else {
                welcomed.tryFailure(new IllegalStateException("unexpected message of type " + type + " during the handshake"));
                ctx.close();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (!welcomed.tryFailure(new IllegalStateException(
                    "it closed the connection during the handshake (a worker of another job, or a wrong secret)"))) {
                mailbox.fail("the connection to " + describe(peer) + " closed");
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (!welcomed.tryFailure(cause)) {
                mailbox.fail("the connection to " + describe(peer) + " failed: " + cause.getMessage());
            }
            ctx.close();
        }
    }
}
