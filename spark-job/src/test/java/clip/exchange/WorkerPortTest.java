package clip.exchange;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The worker port is open to the network: what strangers send it must not change a single bit
 * of the exchanges, each rejected connection is reported once with its remote address, and a
 * connection that does not authenticate is closed at the handshake deadline.
 */
class WorkerPortTest {
    private static final long HANDSHAKE_MILLIS = 2_000;
    private static final long EXCHANGE_MILLIS = 20_000;
    private static final int CHUNK_FLOATS = 1000;
    private static final int WORKERS = 3;

    private final Queue<String> rejections = new ConcurrentLinkedQueue<>();
    private final Queue<Long> rejectedAtNanos = new ConcurrentLinkedQueue<>();
    private final List<Socket> strangers = new ArrayList<>();
    private final List<NettyGroup> members = new ArrayList<>();
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void tearDown() throws IOException {
        pool.shutdownNow();
        for (Socket s : strangers) {
            s.close();
        }
        members.forEach(NettyGroup::close);
    }

    /** Every member listens; each connects to {@code peersOf(rank)}, the real addresses unless a test reroutes them. */
    private void startGroup(java.util.function.UnaryOperator<List<InetSocketAddress>> reroute) {
        JobSecret secret = JobSecret.generate();
        for (int r = 0; r < WORKERS; r++) {
            members.add(NettyGroup.listen(r, WORKERS, secret, new InetSocketAddress("127.0.0.1", 0), EXCHANGE_MILLIS, CHUNK_FLOATS,
                    HANDSHAKE_MILLIS, line -> {
                        rejectedAtNanos.add(System.nanoTime());
                        rejections.add(line);
                    }));
        }
        List<InetSocketAddress> addresses = members.stream().map(NettyGroup::address).toList();
        for (NettyGroup m : members) {
            m.connect(m.rank() == 1 ? reroute.apply(addresses) : addresses);
        }
    }

    private InetSocketAddress port() {
        return members.get(0).address();
    }

    /**
     * Rounds of all-to-all (arrays over several frames) and all-reduce, with values whose sums
     * depend on the order of addition; returns everything the member received.
     */
    private static List<float[]> workload(Collective c) {
        List<float[]> received = new ArrayList<>();
        Random random = new Random(c.rank());
        for (int round = 0; round < 3; round++) {
            float[][] send = new float[c.size()][];
            for (int dst = 0; dst < c.size(); dst++) {
                send[dst] = new float[2 * CHUNK_FLOATS + 17 * dst + round];
                for (int i = 0; i < send[dst].length; i++) {
                    send[dst][i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(12) - 6));
                }
            }
            received.addAll(List.of(c.allToAll(send)));
            double[] sums = c.allReduceSum(new double[] {random.nextGaussian() * 1e12, random.nextGaussian() * 1e-6});
            float[] asFloats = new float[2 * sums.length];
            for (int i = 0; i < sums.length; i++) {
                long bits = Double.doubleToRawLongBits(sums[i]);
                asFloats[2 * i] = Float.intBitsToFloat((int) (bits >>> 32));
                asFloats[2 * i + 1] = Float.intBitsToFloat((int) bits);
            }
            received.add(asFloats);
        }
        return received;
    }

    private List<List<float[]>> runWorkload(List<? extends Collective> group) throws Exception {
        List<Future<List<float[]>>> futures = new ArrayList<>();
        for (Collective c : group) {
            futures.add(pool.submit(() -> workload(c)));
        }
        List<List<float[]>> results = new ArrayList<>();
        for (Future<List<float[]>> f : futures) {
            results.add(f.get(60, TimeUnit.SECONDS));
        }
        return results;
    }

    /** The exchanges of the group over TCP give, bit for bit, what threads exchanging in memory give. */
    private void assertExchangesUndisturbed() throws Exception {
        InProcessGroup undisturbed = new InProcessGroup(WORKERS, EXCHANGE_MILLIS);
        List<Collective> threads = new ArrayList<>();
        for (int r = 0; r < WORKERS; r++) {
            threads.add(undisturbed.member(r));
        }
        List<List<float[]>> expected = runWorkload(threads);
        List<List<float[]>> actual = runWorkload(members);
        for (int r = 0; r < WORKERS; r++) {
            assertEquals(expected.get(r).size(), actual.get(r).size());
            for (int i = 0; i < expected.get(r).size(); i++) {
                assertArrayEquals(expected.get(r).get(i), actual.get(r).get(i), "worker " + r + ", array " + i);
            }
        }
    }

    private Socket stranger() throws IOException {
        Socket s = new Socket(port().getAddress(), port().getPort());
        s.setSoTimeout((int) EXCHANGE_MILLIS);
        strangers.add(s);
        return s;
    }

    private static void send(Socket s, byte[] bytes) throws IOException {
        OutputStream o = s.getOutputStream();
        o.write(bytes);
        o.flush();
    }

    private static byte[] frame(byte type, byte[] body) {
        return ByteBuffer.allocate(Integer.BYTES + 1 + body.length).putInt(1 + body.length).put(type).put(body).array();
    }

    private static byte[] hello(int rank, byte[] nonce, byte[] proof) {
        return frame((byte) 2, ByteBuffer.allocate(Integer.BYTES + nonce.length + proof.length).putInt(rank).put(nonce).put(proof)
                .array());
    }

    /** Rejections that name this address (the remote address the worker saw). */
    private long rejectionsOf(InetSocketAddress remote) {
        String from = "from " + remote.getHostString() + ":" + remote.getPort();
        return rejections.stream().filter(line -> line.contains(from + ":") || line.contains(from + " ")).count();
    }

    private static void await(BooleanSupplier condition, long timeoutMillis, java.util.function.Supplier<String> what) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("not within " + timeoutMillis + " ms: " + what.get());
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    /** The worker closed the stranger's connection: its stream ends (or is reset, if the worker left bytes unread). */
    private static void assertClosedByWorker(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        try {
            while (in.read() >= 0) {
                // the challenge the worker sent first
            }
        } catch (SocketTimeoutException e) {
            fail("the worker kept the connection from port " + s.getLocalPort() + " open");
        } catch (SocketException reset) {
            // closed with our bytes unread
        }
    }

    /** Each stranger is reported exactly once, naming its address and the reason, and its connection is closed. */
    private void assertEachRejectedOnce(String reason) throws IOException {
        await(() -> strangers.stream().allMatch(s -> rejectionsOf(addressOf(s)) >= 1), EXCHANGE_MILLIS,
                () -> "a report of each of " + strangers.size() + " strangers; got " + rejections);
        for (Socket s : strangers) {
            assertClosedByWorker(s);
            assertEquals(1, rejectionsOf(addressOf(s)), rejections.toString());
        }
        assertEquals(strangers.size(), rejections.size(), "one report per stranger and none for the workers: " + rejections);
        assertTrue(rejections.stream().allMatch(line -> line.contains(reason)), reason + " in " + rejections);
    }

    /** The address the worker sees the socket's connection come from (taken while it is open). */
    private static InetSocketAddress addressOf(Socket s) {
        return new InetSocketAddress(s.getLocalAddress().getHostAddress(), s.getLocalPort());
    }

    @Test
    void randomBytesAreRejectedAndTheExchangesGoOn() throws Exception {
        startGroup(a -> a);
        Random random = new Random(7);
        for (int i = 0; i < 5; i++) {
            byte[] junk = new byte[1 + random.nextInt(5000)];
            random.nextBytes(junk);
            send(stranger(), junk);
        }
        assertExchangesUndisturbed();
        assertEachRejectedOnce("worker 0: closed the connection from 127.0.0.1:");
    }

    @Test
    void malformedHandshakesAreRejectedAndTheExchangesGoOn() throws Exception {
        startGroup(a -> a);
        byte[] nonce = JobSecret.nonce();
        send(stranger(), frame((byte) 2, new byte[] {0, 0, 0, 1}));           // a hello cut short
        send(stranger(), hello(0, nonce, nonce));                           // claims the listener's own rank
        send(stranger(), hello(WORKERS, nonce, nonce));                     // a rank outside the group
        send(stranger(), frame((byte) 4, new byte[16]));                    // a data frame without a handshake
        assertExchangesUndisturbed();
        assertEachRejectedOnce("a malformed handshake");
    }

    @Test
    void aWrongSecretIsRejectedAndTheExchangesGoOn() throws Exception {
        startGroup(a -> a);
        Socket s = stranger();
        DataInputStream in = new DataInputStream(s.getInputStream());
        assertEquals(1 + JobSecret.nonceBytes(), in.readInt());
        assertEquals(1, in.readByte(), "a challenge");
        byte[] challenge = in.readNBytes(JobSecret.nonceBytes());
        // the handshake exactly as a worker makes it, with another job's secret
        byte[] proof = JobSecret.generate().mac("hello".getBytes(StandardCharsets.US_ASCII), challenge, intBytes(1), intBytes(WORKERS));
        send(s, hello(1, JobSecret.nonce(), proof));
        assertExchangesUndisturbed();
        assertEachRejectedOnce("its handshake failed authentication");
    }

    @Test
    void aFrameLargerThanTheHandshakeIsRefusedBeforeItIsBuffered() throws Exception {
        startGroup(a -> a);
        // announces a 64 MB frame, as an attacker making workers hold memory would, then sends a little of it
        send(stranger(), ByteBuffer.allocate(Integer.BYTES + 1000).putInt(64 << 20).put((byte) 4).array());
        assertExchangesUndisturbed();
        assertEachRejectedOnce("before authenticating, a frame of 67108864 bytes (at most " + (1 + 4 + 2 * JobSecret.nonceBytes())
                + " allowed here)");
    }

    @Test
    void aStrangerThatHangsUpBeforeTheHandshakeIsLoggedOnce() throws Exception {
        startGroup(a -> a);
        Socket s = stranger();
        InetSocketAddress address = addressOf(s);
        send(s, new byte[] {0, 0, 0, 69, 2}); // the start of a hello
        s.close();
        await(() -> rejectionsOf(address) == 1, EXCHANGE_MILLIS, () -> "a report naming " + address + "; got " + rejections);
        assertExchangesUndisturbed();
        assertEquals(List.of("worker 0: the connection from " + address.getHostString() + ":" + address.getPort()
                + " closed before authenticating"), List.copyOf(rejections));
    }

    @Test
    void hundredsOfIdleConnectionsAreClosedAtTheHandshakeDeadlineAndTheExchangesGoOn() throws Exception {
        startGroup(a -> a);
        long start = System.nanoTime();
        for (int i = 0; i < 300; i++) {
            Socket s = stranger();
            if (i % 10 == 0) {
                send(s, new byte[] {0, 0, 0, 69, 2, 0, 0}); // the start of a hello that never ends
            }
        }
        assertExchangesUndisturbed();
        assertEachRejectedOnce("no handshake within " + HANDSHAKE_MILLIS + " ms");
        double firstClosed = (rejectedAtNanos.stream().min(Long::compare).orElseThrow() - start) / 1e9;
        assertTrue(firstClosed >= HANDSHAKE_MILLIS / 1e3, "the first was closed after " + firstClosed + " s, before the deadline");
    }

    /**
     * An on-path host between workers 1 and 0 alters a data frame or replays one: worker 0 never
     * uses it, closes the connection, reports the address it came from, and its exchange fails
     * naming worker 1 (the data it should have carried will not come).
     */
    @ParameterizedTest
    @ValueSource(strings = {"flip a bit", "replay a frame"})
    void aDataFrameAlteredOnTheWayIsRefused(String attack) throws Exception {
        try (ServerSocket proxy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<InetSocketAddress> worker0 = new CompletableFuture<>();
            List<InetSocketAddress> toWorker0 = new CopyOnWriteArrayList<>();
            pool.submit(() -> relay(proxy, worker0, attack, toWorker0));
            startGroup(real -> {
                worker0.complete(real.get(0));
                List<InetSocketAddress> rerouted = new ArrayList<>(real);
                rerouted.set(0, new InetSocketAddress("127.0.0.1", proxy.getLocalPort()));
                return rerouted;
            });
            for (NettyGroup m : members.subList(1, WORKERS)) {
                pool.submit(() -> m.allGather(new float[3 * CHUNK_FLOATS]));
            }
            PeerFailureException e = assertThrows(PeerFailureException.class, () -> members.get(0).allGather(new float[1]));
            assertTrue(e.getMessage().contains("worker 1 at 127.0.0.1:") && e.getMessage().contains("a data frame failed authentication"),
                    e.getMessage());
            await(() -> !toWorker0.isEmpty(), EXCHANGE_MILLIS, () -> "the relay's connection");
            assertEquals(1, rejectionsOf(toWorker0.get(0)), rejections.toString());
            assertEquals(1, rejections.size(), rejections.toString());
        }
    }

    /** Relays worker 1's connection to worker 0, attacking its first data frame (the second frame: the first is the hello). */
    private Void relay(ServerSocket proxy, CompletableFuture<InetSocketAddress> worker0, String attack,
                       List<InetSocketAddress> toWorker0)
            throws Exception {
        try (Socket fromWorker1 = proxy.accept(); Socket to = new Socket()) {
            to.connect(worker0.get(EXCHANGE_MILLIS, TimeUnit.MILLISECONDS));
            toWorker0.add(addressOf(to));
            pool.submit(() -> {
                try (fromWorker1) {
                    to.getInputStream().transferTo(fromWorker1.getOutputStream()); // worker 0's side of the handshake, as sent
                }
                return null;
            });
            DataInputStream in = new DataInputStream(fromWorker1.getInputStream());
            DataOutputStream out = new DataOutputStream(to.getOutputStream());
            for (int frame = 0; ; frame++) {
                int length = in.readInt();
                byte[] body = new byte[length];
                in.readFully(body);
                if (frame == 1 && attack.equals("flip a bit")) {
                    body[body.length / 2] ^= 1;
                }
                int copies = frame == 1 && attack.equals("replay a frame") ? 2 : 1;
                for (int c = 0; c < copies; c++) {
                    out.writeInt(length);
                    out.write(body);
                }
                out.flush();
            }
        }
    }

    private static byte[] intBytes(int v) {
        return ByteBuffer.allocate(Integer.BYTES).putInt(v).array();
    }
}
