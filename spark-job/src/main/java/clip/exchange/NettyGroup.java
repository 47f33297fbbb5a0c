package clip.exchange;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The workers of one job exchanging over TCP with Netty. Every worker listens on one port and
 * opens one connection to each peer; a connection carries data one way, from the worker that
 * opened it. Both ends authenticate with the job's secret before any data is accepted: the
 * listener challenges with a nonce, the connecting worker answers with an HMAC over it and its
 * rank, and the listener proves itself the same way over the connecting worker's nonce. Every
 * data frame then carries an HMAC under a key derived for that connection ({@link FrameMac}).
 *
 * <p>The port is open to anyone on the network, so until a connection has authenticated it may
 * send only frames of the handshake's size and must authenticate within a short deadline; one
 * that fails either, or sends anything else, is closed and reported once with its remote
 * address, and the exchanges go on. A data frame that fails its check on an authenticated
 * connection is never used: the connection is closed, reported, and the exchanges still waiting
 * for that peer's data fail. A peer's connection closing fails those too, and only those: a
 * worker closes its group once its own last exchange is done, while others may still wait for a
 * third worker's data. Arrays travel in chunks of bounded size; every exchange has a deadline.
 *
 * <p>The parameter server's exchanges run on flat buffers without copying them: frames are
 * written from views of the caller's buffer, and each received frame (read by the socket
 * straight into a buffer of its size, {@link Frames}) is summed into the shard or put in place
 * as soon as its tag checks, while later frames are still on the way.
 */
public final class NettyGroup implements Collective, AutoCloseable {
    private static final byte CHALLENGE = 1;
    private static final byte HELLO = 2;
    private static final byte WELCOME = 3;
    private static final byte DATA = 4;
    /** A data frame whose floats are {@link SparsePayload}'s encoding; its header adds their number. */
    private static final byte SPARSE = 5;
    private static final int MAX_FRAME = 64 << 20;
    /** Floats per frame for training: 1 MB frames fit Netty's pooled buffers and start the reduction early. */
    public static final int CHUNK_FLOATS = 1 << 18;
    private static final int DATA_HEADER = 1 + Long.BYTES + 2 * Integer.BYTES;
    private static final int SPARSE_HEADER = DATA_HEADER + Integer.BYTES;
    /** The largest frame each end receives before the other has authenticated. */
    private static final int HELLO_BYTES = 1 + Integer.BYTES + 2 * JobSecret.nonceBytes();
    private static final int WELCOME_BYTES = 1 + Integer.BYTES + JobSecret.nonceBytes();
    /** Long enough for an honest peer's round trip on a loaded cluster, short enough that idle strangers do not pile up. */
    private static final long HANDSHAKE_MILLIS = 10_000;
    private static final Logger LOG = LoggerFactory.getLogger(NettyGroup.class);
    private static final byte[] HELLO_TAG = {'h', 'e', 'l', 'l', 'o'};
    private static final byte[] WELCOME_TAG = {'w', 'e', 'l', 'c', 'o', 'm', 'e'};

    private final int rank;
    private final int size;
    private final JobSecret secret;
    private final long deadlineMillis;
    private final int chunkFloats;
    private final long handshakeMillis;
    private final Consumer<String> rejections;
    private final EventLoopGroup loop;
    private final Channel server;
    private final Mailbox mailbox;
    private final Link[] outbound;
    private volatile boolean closing;
    private List<InetSocketAddress> peers;
    /**
     * The main line, whose exchanges are numbered from 0, the side channel's, from {@link #SIDE},
     * and the side channel's own, from {@link #THIRD} (negative: every line's subgroups stay
     * below the next line's base).
     */
    private final Line main;
    private final Line side;
    private final Line third;
    private static final long SIDE = 1L << 62;
    private static final long THIRD = Long.MIN_VALUE;
    /** A subgroup's exchanges are numbered from its line's base plus its line number times this. */
    private static final long SUBGROUP = 1L << 56;
    private final AtomicLong framesSent = new AtomicLong();
    private final AtomicLong payloadBytesSent = new AtomicLong();

    /** An authenticated connection to a peer and what signs the frames sent on it, with the connection's own key. */
    private record Link(Channel channel, FrameSigner signer) {
    }

    private NettyGroup(int rank, int size, JobSecret secret, long deadlineMillis, int chunkFloats, InetSocketAddress bind,
                       long handshakeMillis, Consumer<String> rejections) {
        Collective.checkRank(rank, size);
        if (chunkFloats < 1 || DATA_HEADER + (long) chunkFloats * Float.BYTES + FrameMac.BYTES > MAX_FRAME) {
            throw new IllegalArgumentException("chunkFloats " + chunkFloats + " outside 1.." + (MAX_FRAME - DATA_HEADER - FrameMac.BYTES)
                    / Float.BYTES);
        }
        this.rank = rank;
        this.size = size;
        this.secret = secret;
        this.deadlineMillis = deadlineMillis;
        this.chunkFloats = chunkFloats;
        this.handshakeMillis = handshakeMillis;
        this.rejections = rejections;
        this.mailbox = new Mailbox();
        this.outbound = new Link[size];
        int[] everyone = java.util.stream.IntStream.range(0, size).toArray();
        this.main = new Line(everyone, rank, 0);
        this.side = new Line(everyone, rank, SIDE);
        this.third = new Line(everyone, rank, THIRD);
        this.loop = new NioEventLoopGroup(2, new DefaultThreadFactory("clip-dist-" + rank, true));
        ServerBootstrap sb = new ServerBootstrap().group(loop).channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        Frames frames = Frames.install(ch, HELLO_BYTES);
                        ch.pipeline().addLast(new LengthFieldPrepender(4), new Inbound(frames));
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
        return listen(rank, size, secret, bind, deadlineMillis, chunkFloats, HANDSHAKE_MILLIS, LOG::warn);
    }

    /**
     * @param handshakeMillis how long a connection may stay unauthenticated
     * @param rejections      told one line, naming the remote address, per connection closed for failing authentication
     */
    static NettyGroup listen(int rank, int size, JobSecret secret, InetSocketAddress bind, long deadlineMillis, int chunkFloats,
                             long handshakeMillis, Consumer<String> rejections) {
        return new NettyGroup(rank, size, secret, deadlineMillis, chunkFloats, bind, handshakeMillis, rejections);
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

    private Link open(int dst, long deadline) {
        Promise<Link> welcomed = loop.next().newPromise();
        Bootstrap b = new Bootstrap().group(loop).channel(NioSocketChannel.class).option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, deadlineMillis))
                // FrameSigner signs while less than a frame waits here, up to two: one frame signed ahead of the socket
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(frameBytes(), 2 * frameBytes()))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        Frames.install(ch, WELCOME_BYTES);
                        ch.pipeline().addLast(new LengthFieldPrepender(4), new Outbound(dst, welcomed));
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
        return main.allToAll(send);
    }

    /** Sends each worker its part of {@code flat} straight from the buffer and sums the parts it gets as they arrive. */
    @Override
    public void reduceScatterSum(ByteBuffer flat, int[] bounds, ByteBuffer shard) {
        main.reduceScatterSum(flat, bounds, shard);
    }

    /** Sends this worker's part of {@code flat} straight from the buffer; peers' parts land in place as they arrive. */
    @Override
    public void allGather(ByteBuffer flat, int[] bounds) {
        main.allGather(flat, bounds);
    }

    /** The same connections, exchanges numbered from {@link #SIDE}; frames of both lines interleave on a connection. */
    @Override
    public Collective sideChannel() {
        return side;
    }

    /** The same connections, used only between the members; exchanges numbered on a line of their own. */
    @Override
    public Collective subgroup(int[] members, int line) {
        return main.subgroup(members, line);
    }

    /**
     * A line of exchanges among {@code members} (ranks; member i is rank i on the line), numbered
     * from {@code base}: the main line, the side channel, or a subgroup of either. Each sends only
     * to its members, and its numbers are its own, so the lines of one worker never mix.
     */
    private final class Line implements Collective {
        private final int[] members;
        private final int self;
        private final long base;
        private final AtomicLong next;
        private final Map<Integer, Line> subgroups = new ConcurrentHashMap<>();

        Line(int[] members, int self, long base) {
            this.members = members;
            this.self = self;
            this.base = base;
            this.next = new AtomicLong(base);
        }

        @Override
        public int rank() {
            return self;
        }

        @Override
        public int size() {
            return members.length;
        }

        @Override
        public float[][] allToAll(float[][] send) {
            return NettyGroup.this.allToAll(this, send, next.getAndIncrement());
        }

        @Override
        public void reduceScatterSum(ByteBuffer flat, int[] bounds, ByteBuffer shard) {
            startReduceScatterSum(flat, bounds, shard).run();
        }

        @Override
        public Runnable startReduceScatterSum(ByteBuffer flat, int[] bounds, ByteBuffer shard) {
            return NettyGroup.this.startReduceScatterSum(this, flat, bounds, shard, next.getAndIncrement());
        }

        @Override
        public void allGather(ByteBuffer flat, int[] bounds) {
            startAllGather(flat, bounds).run();
        }

        @Override
        public Runnable startAllGather(ByteBuffer flat, int[] bounds) {
            return NettyGroup.this.startAllGather(this, flat, bounds, next.getAndIncrement());
        }

        @Override
        public Collective sideChannel() {
            if (this == main) {
                return side;
            }
            if (this == side) {
                return third;
            }
            throw new UnsupportedOperationException("only the main line and its side channel have a side channel");
        }

        @Override
        public Collective subgroup(int[] sub, int line) {
            if (members.length != size) {
                throw new UnsupportedOperationException("a subgroup has no subgroups");
            }
            int at = Collective.checkSubgroup(self, size(), sub, line);
            Line l = subgroups.computeIfAbsent(line, k -> new Line(sub.clone(), at, base + line * SUBGROUP));
            if (!java.util.Arrays.equals(l.members, sub)) {
                throw new IllegalArgumentException("line " + line + " is already the subgroup " + java.util.Arrays.toString(l.members));
            }
            return l;
        }

        /** The sink as the mailbox sees it: chunks come from ranks, which a subgroup's sink knows by member index. */
        ChunkSink ofRanks(ChunkSink sink) {
            return members.length == size ? sink : new MemberChunks(sink, members, size);
        }
    }

    private float[][] allToAll(Line line, float[][] send, long id) {
        line.checkOnePerRank(send);
        int n = line.size();
        ByteBuffer[] parts = new ByteBuffer[n];
        for (int i = 0; i < n; i++) {
            if (i != line.self) {
                parts[i] = ByteBuffer.allocateDirect(send[i].length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                parts[i].asFloatBuffer().put(send[i]);
            }
        }
        ArrayChunks sink = new ArrayChunks(n, line.self);
        start(line, id, parts, sink, false).run();
        float[][] received = sink.arrays();
        received[line.self] = send[line.self];
        return received;
    }

    private Runnable startReduceScatterSum(Line line, ByteBuffer flat, int[] bounds, ByteBuffer shard, long id) {
        checkBounds(line, bounds, flat);
        ByteBuffer[] parts = new ByteBuffer[line.size()];
        for (int i = 0; i < parts.length; i++) {
            parts[i] = i != line.self && bounds[i] == bounds[i + 1] ? null : floats(flat, bounds[i], bounds[i + 1]);
        }
        return start(line, id, parts, new SummedChunks(parts[line.self], shard, line.self, parts.length, chunkFloats), true);
    }

    private Runnable startAllGather(Line line, ByteBuffer flat, int[] bounds, long id) {
        checkBounds(line, bounds, flat);
        ByteBuffer[] parts = new ByteBuffer[line.size()];
        if (bounds[line.self] < bounds[line.self + 1]) {
            java.util.Arrays.fill(parts, floats(flat, bounds[line.self], bounds[line.self + 1]));
        }
        return start(line, id, parts, new PlacedChunks(flat, bounds, line.self), true);
    }

    /**
     * Sends {@code parts[i]} to each other member now, none where it is null; the task waits until
     * the sink has every member's and ours have left. The flat collectives pass null for an empty
     * part: its receiver knows the bounds and expects nothing. A gradient bucket is a slice of the
     * vector that touches the shards of one or a few owners, and an empty message to every other
     * peer made each bucket cost N-1 messages a worker. With {@code sparse} (the flat
     * collectives: gradients, their sums, parameters), frames that are mostly zero granules go as
     * {@link SparsePayload}s; a dense frame costs the encoder a sample of 32 granules.
     */
    private Runnable start(Line line, long id, ByteBuffer[] parts, ChunkSink sink, boolean sparse) {
        if (peers == null && size > 1) {
            throw new IllegalStateException("connect() first");
        }
        Map<Integer, ChannelFuture> writes = new TreeMap<>();
        for (int i = 0; i < parts.length; i++) {
            if (i != line.self && parts[i] != null) {
                writes.put(line.members[i], sendTo(line.members[i], id, parts[i], sparse));
            }
        }
        ChunkSink ofRanks = line.ofRanks(sink);
        return () -> await(id, ofRanks, writes);
    }

    /** @param writes this worker's sends of the exchange, by the rank they go to */
    private void await(long id, ChunkSink sink, Map<Integer, ChannelFuture> writes) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(deadlineMillis);
        mailbox.await(id, sink, rank, size, deadline, this::describe);
        // Our data must have left before the caller may close the group or change the buffers it came from.
        for (Map.Entry<Integer, ChannelFuture> e : writes.entrySet()) {
            ChannelFuture w = e.getValue();
            long left = deadline - System.nanoTime();
            if (!w.awaitUninterruptibly(Math.max(1, left), TimeUnit.NANOSECONDS)) {
                throw new PeerFailureException("worker " + rank + ": sending to " + describe(e.getKey()) + " did not finish within "
                        + deadlineMillis + " ms", null);
            }
            if (!w.isSuccess()) {
                throw new PeerFailureException("worker " + rank + ": sending to " + describe(e.getKey()) + " failed: "
                        + (w.cause() instanceof ClosedChannelException ? "the connection closed" : w.cause().getMessage()),
                        w.cause());
            }
        }
    }

    /** Floats {@code [from, to)} of a little-endian buffer, as a view. */
    private static ByteBuffer floats(ByteBuffer flat, int from, int to) {
        return flat.slice(from * Float.BYTES, (to - from) * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static void checkBounds(Line line, int[] bounds, ByteBuffer flat) {
        int n = line.size();
        if (bounds.length != n + 1 || bounds[0] != 0 || (long) bounds[n] * Float.BYTES > flat.capacity()) {
            throw new IllegalArgumentException("need " + (n + 1) + " part bounds from 0 within the buffer's "
                    + flat.capacity() / Float.BYTES + " floats, got " + java.util.Arrays.toString(bounds));
        }
    }

    /**
     * Frames of a header, the floats as a view of the caller's buffer (no copy when it is
     * direct: the socket writes from it) and the tag, which the connection's {@link FrameSigner}
     * adds on the event loop just before the socket takes the frame. With {@code sparse}, a
     * frame whose floats are mostly zero granules goes as their {@link SparsePayload} instead.
     */
    private ChannelFuture sendTo(int dst, long id, ByteBuffer data, boolean sparse) {
        List<FrameSigner.Unsigned> frames = new ArrayList<>();
        int total = data.remaining() / Float.BYTES;
        int offset = 0;
        do {
            int n = Math.min(chunkFloats, total - offset);
            ByteBuffer payload = data.slice(data.position() + offset * Float.BYTES, n * Float.BYTES);
            ByteBuffer encoded = sparse ? SparsePayload.encode(payload) : null;
            if (encoded == null) {
                frames.add(new FrameSigner.Unsigned(ByteBuffer.allocate(DATA_HEADER).put(DATA).putLong(id).putInt(offset).putInt(total)
                        .array(), payload));
            } else {
                frames.add(new FrameSigner.Unsigned(ByteBuffer.allocate(SPARSE_HEADER).put(SPARSE).putLong(id).putInt(offset)
                        .putInt(total).putInt(n).array(), encoded));
                payload = encoded;
            }
            payloadBytesSent.addAndGet(payload.remaining());
            offset += n;
        } while (offset < total);
        framesSent.addAndGet(frames.size());
        return outbound[dst].signer().send(frames);
    }

    /** Bytes of a data frame of a whole chunk. */
    private int frameBytes() {
        return DATA_HEADER + chunkFloats * Float.BYTES + FrameMac.BYTES;
    }

    /** Data frames this worker has sent so far, every line's. */
    long framesSent() {
        return framesSent.get();
    }

    /** Bytes of floats (or of their sparse encoding) in the data frames this worker has sent so far, without headers and tags. */
    long payloadBytesSent() {
        return payloadBytesSent.get();
    }

    private String describe(int peer) {
        return "worker " + peer + (peers == null ? "" : " at " + peers.get(peer).getHostString() + ":" + peers.get(peer).getPort());
    }

    @Override
    public void close() {
        closing = true;
        mailbox.fail("the group was closed");
        server.close();
        for (Link l : outbound) {
            if (l != null) {
                l.channel().close();
            }
        }
        loop.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
        mailbox.close();
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
        private final Frames frames;
        private final byte[] nonce = JobSecret.nonce();
        private int peer = -1;
        private FrameMac mac;
        private boolean closed;
        private ScheduledFuture<?> handshakeDeadline;

        Inbound(Frames frames) {
            this.frames = frames;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ByteBuf m = ctx.alloc().buffer(1 + nonce.length).writeByte(CHALLENGE).writeBytes(nonce);
            ctx.writeAndFlush(m);
            handshakeDeadline = ctx.executor().schedule(() -> reject(ctx, "no handshake within " + handshakeMillis + " ms"),
                    handshakeMillis, TimeUnit.MILLISECONDS);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf in) {
            if (closed) {
                return;
            }
            if (peer < 0) {
                authenticate(ctx, in);
                return;
            }
            // the type only chooses how much of the frame the tag treats as header: a changed type fails the tag
            boolean sparse = in.isReadable() && in.getByte(in.readerIndex()) == SPARSE;
            if (!mac.verify(in, sparse ? SPARSE_HEADER : DATA_HEADER)) {
                reject(ctx, "a data frame failed authentication (altered, replayed or injected on the way)");
                return;
            }
            byte type = in.readByte();
            if (type != DATA && type != SPARSE) {
                reject(ctx, "an unexpected message of type " + type);
                return;
            }
            long id = in.readLong();
            int offset = in.readInt();
            int total = in.readInt();
            if (type == DATA) {
                mailbox.receive(peer, id, offset, total, in);
            } else {
                receiveSparse(ctx, id, offset, total, in);
            }
        }

        /** A sparse frame's floats, written out in full (a pooled buffer of one frame) before the sink sees them. */
        private void receiveSparse(ChannelHandlerContext ctx, long id, int offset, int total, ByteBuf in) {
            int n = in.readInt();
            if (n < 1 || n > chunkFloats) {
                reject(ctx, "a sparse frame of " + n + " floats (1 to " + chunkFloats + " allowed)");
                return;
            }
            ByteBuf floats = ctx.alloc().directBuffer(n * Float.BYTES, n * Float.BYTES);
            try {
                String wrong = SparsePayload.decode(in, n, floats);
                if (wrong != null) {
                    reject(ctx, wrong);
                    return;
                }
                mailbox.receive(peer, id, offset, total, floats);
            } finally {
                floats.release();
            }
        }

        private void authenticate(ChannelHandlerContext ctx, ByteBuf in) {
            byte type = in.readByte();
            int claimed = type == HELLO && in.readableBytes() >= Integer.BYTES ? in.readInt() : -1;
            int n = JobSecret.nonceBytes();
            if (claimed < 0 || claimed >= size || claimed == rank || in.readableBytes() != 2 * n) {
                reject(ctx, "a malformed handshake (a message of type " + type + ")");
                return;
            }
            byte[] theirNonce = bytes(in, n);
            byte[] proof = bytes(in, n);
            if (!secret.verify(secret.mac(HELLO_TAG, nonce, intBytes(claimed), intBytes(size)), proof)) {
                reject(ctx, "its handshake failed authentication (not a worker of this job)"); // and it is told nothing
                return;
            }
            peer = claimed;
            handshakeDeadline.cancel(false);
            frames.raiseLimit(DATA_HEADER + chunkFloats * Float.BYTES + FrameMac.BYTES);
            mac = new FrameMac(secret.sessionKey(nonce, theirNonce, claimed, rank));
            byte[] welcome = secret.mac(WELCOME_TAG, theirNonce, intBytes(rank));
            ctx.writeAndFlush(ctx.alloc().buffer(1 + Integer.BYTES + welcome.length).writeByte(WELCOME).writeInt(rank)
                    .writeBytes(welcome));
        }

        /**
         * Closes the connection and reports it once. Data from an authenticated peer that fails
         * its check fails the exchange: what it should have carried will not arrive.
         */
        private void reject(ChannelHandlerContext ctx, String why) {
            if (closed) {
                return;
            }
            closed = true;
            if (!closing) {
                rejections.accept("worker " + rank + ": closed the connection from " + address(ctx) + ": " + why);
            }
            if (peer >= 0) {
                mailbox.failPeer(peer, describe(peer) + ": " + why);
            }
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (handshakeDeadline != null) {
                handshakeDeadline.cancel(false);
            }
            if (peer >= 0 && !closed) {
                closed = true;
                mailbox.failPeer(peer, "the connection from " + describe(peer) + " closed");
            } else if (!closed && !closing) {
                closed = true;
                rejections.accept("worker " + rank + ": the connection from " + address(ctx) + " closed before authenticating");
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            Throwable root = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
            if (peer < 0) {
                reject(ctx, "before authenticating, " + root.getMessage());
            } else if (!closed) {
                closed = true;
                mailbox.failPeer(peer, "the connection from " + describe(peer) + " failed: " + root.getMessage());
                ctx.close();
            }
        }
    }

    private static String address(ChannelHandlerContext ctx) {
        InetSocketAddress a = (InetSocketAddress) ctx.channel().remoteAddress();
        return a == null ? "an unknown address" : a.getHostString() + ":" + a.getPort();
    }

    /** The connecting end: answers the challenge, checks the listener's proof, then only sends. */
    private final class Outbound extends SimpleChannelInboundHandler<ByteBuf> {
        private final int peer;
        private final Promise<Link> welcomed;
        private final byte[] nonce = JobSecret.nonce();
        private byte[] challenge;

        Outbound(int peer, Promise<Link> welcomed) {
            this.peer = peer;
            this.welcomed = welcomed;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf in) {
            byte type = in.readByte();
            int n = JobSecret.nonceBytes();
            if (type == CHALLENGE && in.readableBytes() == n && challenge == null) {
                challenge = bytes(in, n);
                byte[] mac = secret.mac(HELLO_TAG, challenge, intBytes(rank), intBytes(size));
                ctx.writeAndFlush(ctx.alloc().buffer(1 + Integer.BYTES + 2 * n).writeByte(HELLO).writeInt(rank).writeBytes(nonce)
                        .writeBytes(mac));
            } else if (type == WELCOME && in.readableBytes() == Integer.BYTES + n && challenge != null && !welcomed.isDone()) {
                int theirRank = in.readInt();
                byte[] proof = bytes(in, n);
                if (theirRank != peer || !secret.verify(secret.mac(WELCOME_TAG, nonce, intBytes(peer)), proof)) {
                    welcomed.tryFailure(new IllegalStateException("it failed to prove it belongs to this job (wrong secret or rank)"));
                    ctx.close();
                    return;
                }
                FrameSigner signer = new FrameSigner(new FrameMac(secret.sessionKey(challenge, nonce, rank, peer)));
                ctx.pipeline().addFirst(signer);
                welcomed.trySuccess(new Link(ctx.channel(), signer));
            } else {
                welcomed.tryFailure(new IllegalStateException("unexpected message of type " + type + " during the handshake"));
                ctx.close();
            }
        }

        /**
         * After the handshake this connection only sends: its closing fails the sends still on it
         * and later ones (their futures, which {@link #await} checks), not the receipt of the
         * peer's data, which comes on the peer's own connection. A peer closes its group once its
         * last exchange is done; that close can reach us on this connection before the data it
         * sent last arrives on the other, and failing the exchange then failed finished runs.
         */
        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            welcomed.tryFailure(new IllegalStateException(
                    "it closed the connection during the handshake (a worker of another job, or a wrong secret)"));
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            welcomed.tryFailure(cause);
            ctx.close();
        }
    }
}
