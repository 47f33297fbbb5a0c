package clip.train;

import clip.loss.BatchGradient;
import clip.exchange.Collective;
import clip.exchange.CountingGroup;
import clip.exchange.ExchangeGrid;
import clip.exchange.InProcessGroup;
import clip.exchange.JobSecret;
import clip.exchange.NettyGroup;
import clip.exchange.PeerFailureException;
import clip.exchange.ShardedOptimizer;
import clip.exchange.TwoLevelExchange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.model.ContrastiveModel;
import clip.testutil.TinyDualEncoder;
import clip.layers.Parameter;
import clip.model.TextBatch;
import clip.optim.AdamW;
import clip.loss.ClipLoss;
import clip.loss.ContrastiveLoss;
import clip.optim.ClipGradNorm;
import clip.optim.ModelOptimizer;
import clip.optim.ParameterGroups;
import clip.loss.SigLipLoss;
import clip.loss.SplitBatchGradient;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The same global batch trained for several steps by 1, 2 and 4 workers (threads exchanging
 * through {@link InProcessGroup}, or over TCP through {@link NettyGroup}) gives the parameters one
 * process gets on the whole batch, with the local loss (each worker its rows) and the global one.
 */
class DataParallelEquivalenceTest {
    private static final int GLOBAL_BATCH = 8;
    private static final int STEPS = 3;
    private static final int SEQ = 6;
    private static final double MAX_NORM = 0.5; // small enough that clipping is active
    private static final ParameterGroups GROUPS = new ParameterGroups(1e-3, 2e-3, 1e-2, 0.2, 0.1);

    private static ContrastiveModel model(boolean siglip) {
        return TinyDualEncoder.model(11, siglip ? -10.0 : null);
    }

    private static INDArray pixels(int step) {
        return pixels(step, GLOBAL_BATCH);
    }

    private static INDArray pixels(int step, int batch) {
        return TinyDualEncoder.pixels(100 + step, batch);
    }

    private static TextBatch text(int step) {
        return text(step, GLOBAL_BATCH);
    }

    private static TextBatch text(int step, int batch) {
        return TinyDualEncoder.text(200 + step, batch, SEQ);
    }

    private static Map<String, Parameter> singleProcess(boolean siglip, int batch) {
        ContrastiveModel m = model(siglip);
        ContrastiveLoss loss = siglip ? new SigLipLoss() : new ClipLoss();
        ModelOptimizer opt = new ModelOptimizer(m.namedParameters(), GROUPS, new AdamW(0.9, 0.98, 1e-6));
        for (int s = 0; s < STEPS; s++) {
            m.zeroGrad();
            BatchGradient.accumulate(m, loss, pixels(s, batch), text(s, batch));
            ClipGradNorm.clip(m.namedParameters().values(), MAX_NORM);
            opt.step(1.0);
        }
        return m.namedParameters();
    }

    static List<Collective> inProcess(int n) {
        InProcessGroup group = new InProcessGroup(n, 30_000);
        List<Collective> members = new ArrayList<>();
        for (int rank = 0; rank < n; rank++) {
            members.add(group.member(rank));
        }
        return members;
    }

    static List<Collective> overTcp(int n) {
        JobSecret secret = JobSecret.generate();
        List<NettyGroup> members = new ArrayList<>();
        for (int rank = 0; rank < n; rank++) {
            // frames far smaller than the parameter shards, so arrays cross in many chunks
            members.add(NettyGroup.listen(rank, n, secret, new InetSocketAddress("127.0.0.1", 0), 30_000, 64));
        }
        List<InetSocketAddress> addresses = members.stream().map(NettyGroup::address).toList();
        members.forEach(m -> m.connect(addresses));
        return List.copyOf(members);
    }

    private static List<Map<String, Parameter>> workers(List<Collective> members, boolean siglip, boolean localLoss)
            throws Exception {
        return workers(members, siglip, localLoss, GLOBAL_BATCH, null, 0);
    }

    /**
     * @param grid         null: the full mesh; else each worker exchanges through {@link TwoLevelExchange} over it
     * @param bucketFloats floats per gradient bucket, 0 for none
     */
    private static List<Map<String, Parameter>> workers(List<Collective> members, boolean siglip, boolean localLoss, int batch,
                                                        ExchangeGrid grid, int bucketFloats) throws Exception {
        int n = members.size();
        return eachWorker(members, member -> {
            Collective c = grid == null ? member : new TwoLevelExchange(member, grid);
            ContrastiveModel m = model(siglip);
            ContrastiveLoss loss = siglip ? new SigLipLoss() : new ClipLoss();
            ShardedOptimizer opt = new ShardedOptimizer(m.namedParameters(), GROUPS, new AdamW(0.9, 0.98, 1e-6), c,
                    MAX_NORM, bucketFloats);
            m.onGradientsReady(opt.gradientsReady());
            int local = batch / n;
            for (int s = 0; s < STEPS; s++) {
                long from = (long) c.rank() * local;
                INDArray px = pixels(s, batch).get(NDArrayIndex.interval(from, from + local), NDArrayIndex.all(),
                        NDArrayIndex.all(), NDArrayIndex.all()).dup('c');
                TextBatch t = text(s, batch);
                TextBatch mine = new TextBatch(rows(t.inputIds(), from, local), rows(t.attentionMask(), from, local), null);
                m.zeroGrad();
                DataParallelGradient.accumulate(m, loss, new PixelBatch(px, mine), c, 1, localLoss);
                opt.step(1.0);
            }
            return m.namedParameters();
        });
    }

    /** What one worker of a test does with its member of the group. */
    interface WorkerTask<T> {
        T run(Collective member) throws Exception;
    }

    /** Runs {@code task} for every member at once, a thread each; the results in rank order; the members closed after. */
    static <T> List<T> eachWorker(List<Collective> members, WorkerTask<T> task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(members.size());
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (Collective member : members) {
                futures.add(pool.submit(() -> task.run(member)));
            }
            List<T> out = new ArrayList<>();
            for (Future<T> f : futures) {
                out.add(f.get());
            }
            return out;
        } finally {
            pool.shutdownNow();
            closeAll(members);
        }
    }

    private static void closeAll(List<Collective> members) throws Exception {
        for (Collective c : members) {
            if (c instanceof AutoCloseable closeable) {
                closeable.close();
            }
        }
    }

    private static INDArray rows(INDArray a, long from, long count) {
        return a.get(NDArrayIndex.interval(from, from + count), NDArrayIndex.all()).dup('c');
    }

    @ParameterizedTest(name = "{0} workers, siglip={1}, local loss={2}")
    @CsvSource({"1,false,true", "2,false,true", "4,false,true", "1,true,true", "2,true,true", "4,true,true",
            "2,false,false", "4,false,false", "2,true,false", "4,true,false"})
    void workersEndWhereOneProcessEnds(int n, boolean siglip, boolean localLoss) throws Exception {
        assertMatchesOneProcess(workers(inProcess(n), siglip, localLoss), n, siglip);
    }

    @ParameterizedTest(name = "{0} workers over TCP, siglip={1}, local loss={2}")
    @CsvSource({"2,false,true", "4,true,true", "4,false,true", "2,false,false", "4,true,false"})
    void workersOverTcpEndWhereOneProcessEnds(int n, boolean siglip, boolean localLoss) throws Exception {
        assertMatchesOneProcess(workers(overTcp(n), siglip, localLoss), n, siglip);
    }

    /**
     * The two-level exchange adds in another order than the mesh, so its bits are its own: the
     * same on every run with the same grid, and within the same tolerance of one process's.
     */
    @ParameterizedTest(name = "{0} groups of {1}, buckets of {2} floats, TCP={3}")
    @CsvSource({"2,2,0,false", "2,2,300,false", "3,2,0,false", "3,2,64,false", "2,2,300,true", "3,2,0,true"})
    void twoLevelWorkersEndWhereOneProcessEndsTheSameEveryRun(int groups, int perGroup, int bucketFloats, boolean overTcp)
            throws Exception {
        int n = groups * perGroup;
        ExchangeGrid grid = ExchangeGrid.nearSquare(n);
        assertEquals(groups, grid.groups());
        int batch = 12;
        List<Map<String, Parameter>> first = workers(overTcp ? overTcp(n) : inProcess(n), false, true, batch, grid, bucketFloats);
        assertMatchesOneProcess(first, n, false, batch);
        List<Map<String, Parameter>> again = workers(inProcess(n), false, true, batch, grid, bucketFloats);
        for (int w = 0; w < n; w++) {
            for (String k : first.get(w).keySet()) {
                org.junit.jupiter.api.Assertions.assertArrayEquals(first.get(w).get(k).value().dup('c').data().asFloat(),
                        again.get(w).get(k).value().dup('c').data().asFloat(), "worker " + w + ", " + k + ": same bits every run");
            }
        }
    }

    private static void assertMatchesOneProcess(List<Map<String, Parameter>> results, int n, boolean siglip) {
        assertMatchesOneProcess(results, n, siglip, GLOBAL_BATCH);
    }

    private static void assertMatchesOneProcess(List<Map<String, Parameter>> results, int n, boolean siglip, int batch) {
        Map<String, Parameter> reference = singleProcess(siglip, batch);
        for (Map<String, Parameter> worker : results) {
            for (Map.Entry<String, Parameter> e : reference.entrySet()) {
                INDArray mine = worker.get(e.getKey()).value();
                double diff = mine.sub(e.getValue().value()).amaxNumber().doubleValue();
                // Float sums in a different order; three AdamW steps move parameters by ~3e-3 each.
                assertTrue(diff <= 2e-5, n + " workers, " + e.getKey() + ": max |diff| " + diff);
            }
        }
        assertTrue(!reference.get("logit_scale").value().equals(model(siglip).logitScale().value()), "training moved the scale");
    }

    /**
     * Adam is nearly invariant to the scale of a gradient, so parameters alone would not catch a
     * 1/N or N-fold error: the summed gradients themselves must equal the global-batch gradient,
     * also when each worker encodes its pairs in micro-batches or in parts side by side; and every
     * worker reports the global batch's loss.
     */
    @ParameterizedTest(name = "{0} workers, siglip={1}, {2} micro-batch(es) each, local loss={3}, TCP={4}, {5} part(s)")
    @CsvSource({"2,false,1,true,false,1", "4,false,1,true,false,1", "4,true,1,true,false,1", "1,false,4,true,false,1",
            "2,true,2,true,false,1", "4,false,2,true,false,1", "2,false,1,true,true,1", "4,true,2,true,true,1",
            "2,false,1,false,false,1", "4,false,1,false,false,1", "4,true,1,false,false,1", "1,false,4,false,false,1",
            "2,true,2,false,false,1", "1,false,1,true,false,2", "2,true,1,true,false,2", "1,true,1,true,false,4",
            "2,false,1,false,false,2"})
    void summedWorkerGradientsAreTheGlobalBatchGradient(int n, boolean siglip, int microBatches, boolean localLoss,
                                                       boolean overTcp, int parts) throws Exception {
        ContrastiveModel ref = model(siglip);
        ContrastiveLoss loss = siglip ? new SigLipLoss() : new ClipLoss();
        double globalLoss = BatchGradient.accumulate(ref, loss, pixels(0), text(0)).loss();
        List<Collective> members = overTcp ? overTcp(n) : inProcess(n);
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<Map<String, Parameter>>> futures = new ArrayList<>();
            for (Collective c : members) {
                futures.add(pool.submit(() -> {
                    ContrastiveModel m = model(siglip);
                    int local = GLOBAL_BATCH / n;
                    long from = (long) c.rank() * local;
                    INDArray px = pixels(0).get(NDArrayIndex.interval(from, from + local), NDArrayIndex.all(),
                            NDArrayIndex.all(), NDArrayIndex.all()).dup('c');
                    TextBatch t = text(0);
                    List<ContrastiveModel> twins = new ArrayList<>();
                    for (int p = 1; p < parts; p++) {
                        twins.add(model(siglip));
                    }
                    double reported;
                    try (SplitBatchGradient split = parts == 1 ? null : new SplitBatchGradient(m, twins)) {
                        reported = DataParallelGradient.accumulate(m, loss, new PixelBatch(px,
                                new TextBatch(rows(t.inputIds(), from, local), rows(t.attentionMask(), from, local), null)), c,
                                microBatches, localLoss, split);
                    }
                    assertEquals(globalLoss, reported, 1e-6 * Math.abs(globalLoss), "worker " + c.rank() + "'s loss");
                    return m.namedParameters();
                }));
            }
            List<Map<String, Parameter>> workers = new ArrayList<>();
            for (Future<Map<String, Parameter>> f : futures) {
                workers.add(f.get());
            }
            for (Map.Entry<String, Parameter> e : ref.namedParameters().entrySet()) {
                INDArray sum = workers.get(0).get(e.getKey()).grad().dup();
                for (int w = 1; w < n; w++) {
                    sum.addi(workers.get(w).get(e.getKey()).grad());
                }
                INDArray expected = e.getValue().grad();
                double scale = Math.max(expected.amaxNumber().doubleValue(), 1e-30);
                double diff = sum.sub(expected).amaxNumber().doubleValue();
                if (e.getKey().endsWith(".key.bias")) {
                    assertTrue(diff < 1e-6, e.getKey());
                } else {
                    assertTrue(diff <= 1e-5 * scale, e.getKey() + ": max |diff| " + diff + " vs max |grad| " + scale);
                }
            }
        } finally {
            pool.shutdownNow();
            closeAll(members);
        }
    }

    @Test
    void aHungPeerFailsTheExchangeWithinTheDeadline() throws Exception {
        InProcessGroup group = new InProcessGroup(2, 200);
        Collective alone = group.member(0);
        PeerFailureException e = assertThrows(PeerFailureException.class, () -> alone.allGather(new float[] {1}));
        assertTrue(e.getMessage().contains("worker 0") && e.getMessage().contains("200 ms"), e.getMessage());
    }

    @Test
    void allReduceKeepsMoreThanFloatPrecisionAndAddsInRankOrder() throws Exception {
        // 2^53 + 3 rounds up to 2^53 + 4, so rank order (0, 1, 2) sums to 4 while most other orders give 3.
        double[] byRank = {0x1p53, 3, -0x1p53};
        assertEquals(3.0, (byRank[2] + byRank[1]) + byRank[0], "the inputs must tell the orders apart");
        InProcessGroup group = new InProcessGroup(3, 10_000);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<double[]>> f = new ArrayList<>();
            for (int r = 0; r < 3; r++) {
                Collective c = group.member(r);
                double v = 1.0 + r * 1e-9; // 1e-9 is below a float's resolution at 1
                f.add(pool.submit(() -> c.allReduceSum(new double[] {v, -v, byRank[c.rank()]})));
            }
            for (Future<double[]> x : f) {
                assertEquals(3.0 + 3e-9, x.get()[0], 1e-15);
                assertEquals(-(3.0 + 3e-9), x.get()[1], 1e-15);
                assertEquals(Double.doubleToRawLongBits(4.0), Double.doubleToRawLongBits(x.get()[2]));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * A step's loss meets the peers as few times as it can: one all-gather of both towers'
     * embeddings, one reduce-scatter of their gradients (the local loss) and the loss's all-reduce.
     * Every meeting waits for the slowest peer and costs a round trip.
     */
    @ParameterizedTest(name = "SigLIP={0}, local loss={1}")
    @CsvSource({"false,true,3", "true,true,3", "false,false,1", "true,false,1"})
    void theLossExchangesBothTowersAtOnce(boolean siglip, boolean localLoss, int exchanges) throws Exception {
        int n = 2;
        int local = GLOBAL_BATCH / n;
        List<Integer> counted = eachWorker(inProcess(n), member -> {
            CountingGroup c = new CountingGroup(member);
            ContrastiveModel m = model(siglip);
            long from = (long) c.rank() * local;
            INDArray px = pixels(0).get(NDArrayIndex.interval(from, from + local), NDArrayIndex.all(),
                    NDArrayIndex.all(), NDArrayIndex.all()).dup('c');
            TextBatch t = text(0);
            TextBatch mine = new TextBatch(rows(t.inputIds(), from, local), rows(t.attentionMask(), from, local), null);
            m.zeroGrad();
            DataParallelGradient.accumulate(m, siglip ? new SigLipLoss() : new ClipLoss(), new PixelBatch(px, mine), c, 1,
                    localLoss);
            return c.messages.get();
        });
        assertEquals(List.of(exchanges, exchanges), counted, "one message to the one peer per exchange");
    }
}
