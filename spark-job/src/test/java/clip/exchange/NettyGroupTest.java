package clip.exchange;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class NettyGroupTest {
    private static final InetSocketAddress ANY_PORT = new InetSocketAddress("127.0.0.1", 0);

    /** Listens with every member, then connects each to all. */
    private static List<NettyGroup> group(int n, long deadlineMillis, int chunkFloats, JobSecret... secrets) {
        List<NettyGroup> members = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            members.add(NettyGroup.listen(r, n, secrets.length > r ? secrets[r] : secrets[0], ANY_PORT, deadlineMillis, chunkFloats));
        }
        List<InetSocketAddress> addresses = members.stream().map(NettyGroup::address).toList();
        for (NettyGroup m : members) {
            m.connect(addresses);
        }
        return members;
    }

    private static void closeAll(List<NettyGroup> members) {
        members.forEach(NettyGroup::close);
    }

    private static float[] values(int from, int to, int length) {
        float[] a = new float[length];
        for (int i = 0; i < length; i++) {
            a[i] = from * 1000 + to * 100 + i * 0.5f;
        }
        return a;
    }

    /** A subgroup's exchanges involve its members only, and a missing member is named by its rank in the whole group. */
    @Test
    void aSubgroupExchangesAmongItsMembersAndNamesTheOneMissing() throws Exception {
        List<NettyGroup> members = group(3, 500, 64, JobSecret.generate());
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<float[][]> first = pool.submit(() -> members.get(0).subgroup(new int[] {2, 0}, 1).allGather(new float[] {0}));
            Future<float[][]> second = pool.submit(() -> members.get(2).subgroup(new int[] {2, 0}, 1).allGather(new float[] {2}));
            assertArrayEquals(new float[][] {{2}, {0}}, first.get(), "worker 1 took no part");
            assertArrayEquals(new float[][] {{2}, {0}}, second.get());
            Collective alone = members.get(0).subgroup(new int[] {0, 1}, 2);
            PeerFailureException e = assertThrows(PeerFailureException.class, () -> alone.allGather(new float[] {0}));
            assertTrue(e.getMessage().contains("from worker 1 at") && !e.getMessage().contains("worker 2 at"), e.getMessage());
        } finally {
            pool.shutdownNow();
            closeAll(members);
        }
    }

    @Test
    void workersExchangeArraysLargerThanAFrameRoundAfterRound() throws Exception {
        int n = 3;
        List<NettyGroup> members = group(n, 20_000, 1000, JobSecret.generate());
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<List<float[][]>>> results = new ArrayList<>();
            for (NettyGroup m : members) {
                results.add(pool.submit(() -> {
                    List<float[][]> rounds = new ArrayList<>();
                    for (int round = 0; round < 4; round++) {
                        float[][] send = new float[n][];
                        for (int dst = 0; dst < n; dst++) {
                            // sizes that straddle frame boundaries, and an empty array
                            send[dst] = values(m.rank(), dst, round == 2 ? 0 : 2500 + 7 * dst + round);
                        }
                        rounds.add(m.allToAll(send));
                    }
                    return rounds;
                }));
            }
            for (int r = 0; r < n; r++) {
                List<float[][]> rounds = results.get(r).get();
                for (int round = 0; round < 4; round++) {
                    for (int src = 0; src < n; src++) {
                        assertArrayEquals(values(src, r, round == 2 ? 0 : 2500 + 7 * r + round), rounds.get(round)[src],
                                "round " + round + ", from " + src + " to " + r);
                    }
                }
            }
        } finally {
            pool.shutdownNow();
            closeAll(members);
        }
    }

    /**
     * The main line and the side channel used at once by two threads of each worker: frames of
     * both interleave on every connection, yet each tag checks and each exchange gets its own.
     */
    @Test
    void theSideChannelRunsBesideTheMainLine() throws Exception {
        int n = 3;
        int rounds = 20;
        List<NettyGroup> members = group(n, 20_000, 100, JobSecret.generate());
        ExecutorService pool = Executors.newFixedThreadPool(2 * n);
        try {
            List<Future<?>> lines = new ArrayList<>();
            for (NettyGroup m : members) {
                for (Collective line : List.of(m, m.sideChannel())) {
                    int lineNo = line == m ? 0 : 1;
                    lines.add(pool.submit(() -> {
                        for (int round = 0; round < rounds; round++) {
                            float[][] send = new float[n][];
                            for (int dst = 0; dst < n; dst++) {
                                send[dst] = values(m.rank() + 10 * lineNo, dst, 350 + round);
                            }
                            float[][] got = line.allToAll(send);
                            for (int src = 0; src < n; src++) {
                                assertArrayEquals(values(src + 10 * lineNo, m.rank(), 350 + round), got[src],
                                        "line " + lineNo + ", round " + round + ", from " + src);
                            }
                        }
                        return null;
                    }));
                }
            }
            for (Future<?> f : lines) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
            closeAll(members);
        }
    }

    @Test
    void aWorkerWithAnotherSecretCannotJoin() {
        NettyGroup honest = NettyGroup.listen(0, 2, JobSecret.generate(), ANY_PORT, 5_000, 1000);
        NettyGroup intruder = NettyGroup.listen(1, 2, JobSecret.generate(), ANY_PORT, 5_000, 1000);
        try {
            List<InetSocketAddress> addresses = List.of(honest.address(), intruder.address());
            PeerFailureException e = assertThrows(PeerFailureException.class, () -> intruder.connect(addresses));
            assertTrue(e.getMessage().startsWith("worker 1: cannot join worker 0 at 127.0.0.1:" + honest.address().getPort()),
                    e.getMessage());
            PeerFailureException back = assertThrows(PeerFailureException.class, () -> honest.connect(addresses));
            assertTrue(back.getMessage().contains("prove it belongs to this job")
                    || back.getMessage().contains("closed the connection during the handshake"), back.getMessage());
        } finally {
            honest.close();
            intruder.close();
        }
    }

    @Test
    void garbageFromAStrangerDoesNotDisturbTheGroup() throws Exception {
        List<NettyGroup> members = group(2, 10_000, 1000, JobSecret.generate());
        try (Socket stranger = new Socket("127.0.0.1", members.get(0).address().getPort())) {
            OutputStream o = stranger.getOutputStream();
            o.write(new byte[] {0, 0, 0, 9, 4, 0, 0, 0, 0, 0, 0, 0, 0}); // a DATA frame without a handshake
            o.flush();
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                Future<float[][]> other = pool.submit(() -> members.get(1).allGather(new float[] {2}));
                float[][] mine = members.get(0).allGather(new float[] {1});
                assertArrayEquals(new float[] {1}, mine[0]);
                assertArrayEquals(new float[] {2}, mine[1]);
                assertArrayEquals(new float[] {1}, other.get()[0]);
            } finally {
                pool.shutdownNow();
            }
        } finally {
            closeAll(members);
        }
    }

    @Test
    void aPeerThatNeverArrivesFailsTheExchangeAtTheDeadlineNamingIt() {
        List<NettyGroup> members = group(2, 300, 1000, JobSecret.generate());
        try {
            long start = System.nanoTime();
            PeerFailureException e = assertThrows(PeerFailureException.class, () -> members.get(0).allGather(new float[] {1}));
            double seconds = (System.nanoTime() - start) / 1e9;
            assertTrue(e.getMessage().contains("no data within the deadline from worker 1 at 127.0.0.1:"), e.getMessage());
            assertTrue(seconds < 5, "failed after " + seconds + " s");
        } finally {
            closeAll(members);
        }
    }

    @Test
    void aPeerThatDiesFailsTheExchangeWithoutWaitingForTheDeadline() {
        List<NettyGroup> members = group(2, 60_000, 1000, JobSecret.generate());
        try {
            members.get(1).close();
            long start = System.nanoTime();
            PeerFailureException e = assertThrows(PeerFailureException.class, () -> members.get(0).allGather(new float[] {1}));
            assertTrue(e.getMessage().contains("worker 1 at 127.0.0.1:") && e.getMessage().contains("closed"), e.getMessage());
            assertTrue((System.nanoTime() - start) / 1e9 < 30, "waited for the deadline");
        } finally {
            members.get(0).close();
        }
    }

    @Test
    void aDeadAddressFailsTheConnectWithItsName() {
        NettyGroup alone = NettyGroup.listen(0, 2, JobSecret.generate(), ANY_PORT, 5_000, 1000);
        NettyGroup gone = NettyGroup.listen(1, 2, JobSecret.generate(), ANY_PORT, 5_000, 1000);
        InetSocketAddress goneAddress = gone.address();
        gone.close();
        try {
            PeerFailureException e = assertThrows(PeerFailureException.class,
                    () -> alone.connect(List.of(alone.address(), goneAddress)));
            assertTrue(e.getMessage().startsWith("worker 0: cannot join worker 1 at 127.0.0.1:" + goneAddress.getPort()), e.getMessage());
        } finally {
            alone.close();
        }
    }

    @Test
    void allReduceOverTcpAddsInRankOrder() throws Exception {
        // 2^53 + 3 rounds up to 2^53 + 4, so rank order (0, 1, 2) sums to 4 while most other orders give 3.
        double[] byRank = {0x1p53, 3, -0x1p53};
        assertEquals(3.0, (byRank[2] + byRank[1]) + byRank[0], "the inputs must tell the orders apart");
        List<NettyGroup> members = group(3, 10_000, 1000, JobSecret.generate());
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<double[]>> f = new ArrayList<>();
            for (NettyGroup m : members) {
                f.add(pool.submit(() -> m.allReduceSum(new double[] {byRank[m.rank()]})));
            }
            for (Future<double[]> x : f) {
                assertEquals(Double.doubleToRawLongBits(4.0), Double.doubleToRawLongBits(x.get()[0]));
            }
        } finally {
            pool.shutdownNow();
            closeAll(members);
        }
    }

    /** A worker's flat vector: values of many magnitudes, so that sums in another order give other bits. */
    private static float[] flatOf(int rank, int round, int length) {
        Random random = new Random(31L * rank + round);
        float[] v = new float[length];
        for (int i = 0; i < length; i++) {
            v[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(12) - 6));
        }
        return v;
    }

    static ByteBuffer direct(float[] v) {
        ByteBuffer b = ByteBuffer.allocateDirect(v.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return b;
    }

    private static float[] floats(ByteBuffer b) {
        float[] v = new float[b.capacity() / Float.BYTES];
        b.duplicate().order(ByteOrder.LITTLE_ENDIAN).clear().asFloatBuffer().get(v);
        return v;
    }

    /**
     * The parameter server's flat exchanges (frames sent from the buffer, chunks summed as they
     * arrive) give, bit for bit, what the array exchanges between threads in memory give: parts
     * over several frames, one of them empty, round after round.
     */
    @Test
    void flatReduceScatterAndAllGatherGiveTheBitsOfTheArrayExchanges() throws Exception {
        int n = 3;
        int[] bounds = {0, 2345, 2345, 5123}; // worker 1 owns nothing
        List<NettyGroup> members = group(n, 20_000, 1000, JobSecret.generate());
        InProcessGroup memory = new InProcessGroup(n, 20_000);
        ExecutorService pool = Executors.newFixedThreadPool(2 * n);
        try {
            for (int round = 0; round < 3; round++) {
                int r0 = round;
                List<Future<float[][]>> overTcp = new ArrayList<>();
                List<Future<float[][]>> inMemory = new ArrayList<>();
                for (int r = 0; r < n; r++) {
                    NettyGroup m = members.get(r);
                    Collective c = memory.member(r);
                    overTcp.add(pool.submit(() -> {
                        ByteBuffer flat = direct(flatOf(m.rank(), r0, bounds[n]));
                        ByteBuffer shard = direct(new float[bounds[m.rank() + 1] - bounds[m.rank()]]);
                        m.reduceScatterSum(flat, bounds, shard);
                        float[] sent = floats(flat);
                        m.allGather(flat, bounds);
                        return new float[][] {floats(shard), sent, floats(flat)};
                    }));
                    inMemory.add(pool.submit(() -> {
                        float[] flat = flatOf(c.rank(), r0, bounds[n]);
                        float[][] send = new float[n][];
                        for (int s = 0; s < n; s++) {
                            send[s] = java.util.Arrays.copyOfRange(flat, bounds[s], bounds[s + 1]);
                        }
                        return new float[][] {c.reduceScatterSum(send)};
                    }));
                }
                for (int r = 0; r < n; r++) {
                    float[][] tcp = overTcp.get(r).get();
                    assertArrayEquals(inMemory.get(r).get()[0], tcp[0], "round " + round + ", worker " + r + "'s summed shard");
                    assertArrayEquals(flatOf(r, round, bounds[n]), tcp[1], "the reduce-scatter changed what it sent");
                    float[] gathered = new float[bounds[n]];
                    for (int s = 0; s < n; s++) {
                        System.arraycopy(flatOf(s, round, bounds[n]), bounds[s], gathered, bounds[s], bounds[s + 1] - bounds[s]);
                    }
                    assertArrayEquals(gathered, tcp[2], "round " + round + ", worker " + r + " after the all-gather");
                }
            }
            // Frames of 1000 floats: parts 0 and 2 take 3 each, and nobody sends worker 1's empty
            // part or an empty frame to it. A round: worker 0 sends part 2 to worker 2, then its own
            // to workers 1 and 2 (3 + 6); worker 1 parts 0 and 2, and nothing of its own (6); worker 2
            // part 0, then its own to workers 0 and 1 (3 + 6).
            assertEquals(List.of(27L, 18L, 27L), members.stream().map(NettyGroup::framesSent).toList(),
                    "data frames sent by each worker in three rounds");
        } finally {
            pool.shutdownNow();
            closeAll(members);
        }
    }
    /**
     * A lookup table's gradient (a few rows set among zero ones, one row of -0) crosses as the
     * rows only, and the shards get the bits of the exchange in memory.
     */
    @Test
    void aMostlyZeroGradientCrossesAsItsRowsAndSumsToTheSameBits() throws Exception {
        int n = 3;
        int length = 96_000; // 2,000 rows of 48
        int[] bounds = {0, 31_000, 64_500, length};
        List<NettyGroup> members = group(n, 20_000, 10_000, JobSecret.generate());
        InProcessGroup memory = new InProcessGroup(n, 20_000);
        ExecutorService pool = Executors.newFixedThreadPool(2 * n);
        try {
            List<Future<float[]>> overTcp = new ArrayList<>();
            List<Future<float[]>> inMemory = new ArrayList<>();
            for (int r = 0; r < n; r++) {
                NettyGroup m = members.get(r);
                Collective c = memory.member(r);
                overTcp.add(pool.submit(() -> {
                    ByteBuffer shard = direct(new float[bounds[m.rank() + 1] - bounds[m.rank()]]);
                    m.reduceScatterSum(direct(rowsOf(m.rank(), length)), bounds, shard);
                    return floats(shard);
                }));
                inMemory.add(pool.submit(() -> {
                    float[] flat = rowsOf(c.rank(), length);
                    float[][] send = new float[n][];
                    for (int s = 0; s < n; s++) {
                        send[s] = java.util.Arrays.copyOfRange(flat, bounds[s], bounds[s + 1]);
                    }
                    return c.reduceScatterSum(send);
                }));
            }
            for (int r = 0; r < n; r++) {
                float[] expected = inMemory.get(r).get();
                float[] got = overTcp.get(r).get();
                for (int i = 0; i < expected.length; i++) {
                    assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(got[i]), "worker " + r + ", float " + i);
                }
                long dense = (long) (length - (bounds[r + 1] - bounds[r])) * Float.BYTES;
                long sent = members.get(r).payloadBytesSent();
                assertTrue(sent < dense / 10, "worker " + r + " sent " + sent + " bytes for its " + dense + " of mostly zero rows");
            }
        } finally {
            pool.shutdownNow();
            closeAll(members);
        }
    }

    /**
     * The replicated update's all-gather of mostly zero sums crosses as their rows too, and every
     * worker ends with every worker's part, bit for bit.
     */
    @Test
    void mostlyZeroSumsAreGatheredAsTheirRows() throws Exception {
        int n = 3;
        int length = 96_000;
        int[] bounds = {0, 31_000, 64_500, length};
        float[] whole = new float[length];
        for (int r = 0; r < n; r++) {
            System.arraycopy(rowsOf(r, length), bounds[r], whole, bounds[r], bounds[r + 1] - bounds[r]);
        }
        List<NettyGroup> members = group(n, 20_000, 10_000, JobSecret.generate());
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<float[]>> gathered = new ArrayList<>();
            for (NettyGroup m : members) {
                gathered.add(pool.submit(() -> {
                    float[] mine = new float[length];
                    System.arraycopy(whole, bounds[m.rank()], mine, bounds[m.rank()], bounds[m.rank() + 1] - bounds[m.rank()]);
                    ByteBuffer flat = direct(mine);
                    m.allGather(flat, bounds);
                    return floats(flat);
                }));
            }
            for (int r = 0; r < n; r++) {
                float[] got = gathered.get(r).get();
                for (int i = 0; i < length; i++) {
                    assertEquals(Float.floatToRawIntBits(whole[i]), Float.floatToRawIntBits(got[i]), "worker " + r + ", float " + i);
                }
                long dense = (long) (n - 1) * (bounds[r + 1] - bounds[r]) * Float.BYTES;
                long sent = members.get(r).payloadBytesSent();
                assertTrue(sent < dense / 10, "worker " + r + " sent " + sent + " bytes for its " + dense + " of mostly zero rows");
            }
        } finally {
            pool.shutdownNow();
            closeAll(members);
        }
    }

    /** 40 of 2,000 rows of 48 floats set, the first of them to -0. */
    private static float[] rowsOf(int rank, int length) {
        Random random = new Random(rank);
        float[] v = new float[length];
        for (int k = 0; k < 40; k++) {
            int row = random.nextInt(length / 48);
            for (int i = row * 48; i < row * 48 + 48; i++) {
                v[i] = k == 0 ? -0f : (float) (random.nextGaussian() * Math.pow(10, random.nextInt(12) - 6));
            }
        }
        return v;
    }

    /**
     * The end of a run: each worker closes its group as soon as its own last exchange is done,
     * while slower peers still wait for a third worker's data. A close must not fail them (it
     * reaches a peer on the connection it sends on, and may arrive before the data the closing
     * worker sent last on the other one).
     */
    @Test
    void workersThatFinishFirstCloseWithoutFailingTheOthers() throws Exception {
        int n = 4;
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            for (int trial = 0; trial < 12; trial++) {
                List<NettyGroup> members = group(n, 20_000, 4096, JobSecret.generate());
                List<Future<float[][]>> results = new ArrayList<>();
                for (NettyGroup m : members) {
                    results.add(pool.submit(() -> {
                        try (m) {
                            return m.allGather(values(m.rank(), 0, 100_000 * (m.rank() + 1)));
                        }
                    }));
                }
                for (Future<float[][]> r : results) {
                    float[][] got = r.get();
                    for (int src = 0; src < n; src++) {
                        assertArrayEquals(values(src, 0, 100_000 * (src + 1)), got[src], "trial " + trial + ", from worker " + src);
                    }
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
