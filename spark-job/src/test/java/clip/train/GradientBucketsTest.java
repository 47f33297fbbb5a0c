package clip.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.config.ConfigLoader;
import clip.exchange.Collective;
import clip.exchange.CountingGroup;
import clip.exchange.ExchangeGrid;
import clip.exchange.ShardedOptimizer;
import clip.exchange.TwoLevelExchange;
import clip.layers.BatchStatistics;
import clip.layers.Init;
import clip.layers.Module;
import clip.layers.Parameter;
import clip.loss.ClipLoss;
import clip.model.ContrastiveModel;
import clip.model.TextBatch;
import clip.optim.AdamW;
import clip.optim.ParameterGroups;
import clip.testutil.TinyDualEncoder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The gradient's reduce-scatter in buckets started during the backward pass gives the parameters
 * of the reduce-scatter after it, bit for bit: in shared memory and over TCP, with buckets far
 * smaller than a shard (so they cross shard bounds), for a ViT + BERT model and for a ResNet whose
 * SyncBatchNorm sums use the main line while the buckets use the side channel, through a
 * step skipped before the update, and the same through the two-level exchange (whose buckets take
 * both hops on the side channel's subgroups).
 */
class GradientBucketsTest {
    private static final int GLOBAL_BATCH = 8;
    private static final int STEPS = 4;
    /** The step skipped as a non-finite loss would be: the buckets under way finish, nothing changes. */
    private static final int SKIPPED = 1;
    private static final ParameterGroups GROUPS = new ParameterGroups(1e-3, 2e-3, 1e-2, 0.2, 0.1);
    /** Prefixes the names of a worker's part of the checkpoint ({@link ShardedOptimizer#ownedState}) among its parameters. */
    private static final String STATE = "state:";

    @ParameterizedTest(name = "{0} workers, TCP={1}, ResNet with SyncBatchNorm={2}, buckets of {3} floats, two-level={4}")
    @CsvSource({"2,false,false,64,false", "4,false,false,7,false", "2,true,false,64,false", "4,true,false,300,false",
            "2,false,true,64,false", "2,true,true,200,false", "4,false,false,7,true", "4,true,false,300,true", "4,false,true,64,true"})
    void bucketsGiveTheBitsOfOneReduceScatterAfterTheBackwardPass(int n, boolean overTcp, boolean resnet, int bucketFloats,
                                                                 boolean twoLevel) throws Exception {
        ExchangeGrid grid = twoLevel ? ExchangeGrid.nearSquare(n) : null;
        List<Map<String, float[]>> whole = train(n, overTcp, resnet, 0, grid);
        List<Map<String, float[]>> buckets = train(n, overTcp, resnet, bucketFloats, grid);
        Map<String, float[]> initial = values(model(resnet));
        assertTrue(!java.util.Arrays.equals(initial.get("logit_scale"), whole.get(0).get("logit_scale")), "training moved the scale");
        for (int w = 0; w < n; w++) {
            assertEquals(whole.get(w).keySet(), buckets.get(w).keySet());
            for (String k : whole.get(w).keySet()) {
                assertArrayEquals(whole.get(w).get(k), buckets.get(w).get(k), "worker " + w + ", " + k);
            }
        }
    }

    /**
     * Every worker updating every parameter from the gathered sums gives the sharded update's
     * parameters and AdamW state bit for bit, with buckets (whose sums cross on a third line) and
     * without, through a skipped step, in the mesh and in two hops.
     */
    @ParameterizedTest(name = "{0} workers, TCP={1}, ResNet with SyncBatchNorm={2}, buckets of {3} floats, two-level={4}")
    @CsvSource({"2,false,false,64,false", "4,false,false,0,false", "2,true,false,300,false", "4,true,false,7,false",
            "2,true,true,200,false", "4,true,false,300,true", "4,false,false,0,true"})
    void theReplicatedUpdateGivesTheShardedBits(int n, boolean overTcp, boolean resnet, int bucketFloats, boolean twoLevel)
            throws Exception {
        ExchangeGrid grid = twoLevel ? ExchangeGrid.nearSquare(n) : null;
        List<Map<String, float[]>> sharded = train(n, overTcp, resnet, bucketFloats, grid, false);
        List<Map<String, float[]>> replicated = train(n, overTcp, resnet, bucketFloats, grid, true);
        for (int w = 0; w < n; w++) {
            assertEquals(sharded.get(w).keySet(), replicated.get(w).keySet());
            assertTrue(sharded.get(w).keySet().stream().anyMatch(k -> k.endsWith(ShardedOptimizer.EXP_AVG_SQ)), "the state is compared");
            for (String k : sharded.get(w).keySet()) {
                assertArrayEquals(sharded.get(w).get(k), replicated.get(w).get(k), "worker " + w + ", " + k);
            }
        }
    }

    /** At most bucket-mb, and at most an eighth of the model: a small model still gets eight buckets. */
    @Test
    void aBucketIsAtMostBucketMbAndAtMostAnEighthOfTheModel() {
        assertEquals(1 << 20, dist("4").bucketFloats(9_605_505L), "4 MB of floats, less than an eighth");
        assertEquals(1_200_689, dist("25").bucketFloats(9_605_505L), "an eighth, rounded up, less than 25 MB");
        assertEquals(25 << 18, dist("25").bucketFloats(400_000_000L), "25 MB of floats");
        assertEquals(1, dist("25").bucketFloats(3), "at least one float");
        assertEquals(0, dist("0").bucketFloats(9_605_505L), "no buckets");
    }

    private static TrainConfig.Dist dist(String bucketMb) {
        return TrainConfig.from(new ConfigLoader().load("tiny", List.of("dist.bucket-mb=" + bucketMb), Map.of())).dist();
    }

    /**
     * A worker's backward pass hands over the text tower's gradients before any of the image
     * tower's, so the word embeddings' bucket (the largest, and the text tower's last) crosses while
     * the image tower's backward pass runs, not after the whole pass.
     */
    @Test
    void theTextTowerHandsOverItsGradientsBeforeTheImageTower() throws Exception {
        int n = 2;
        List<List<String>> reports = DataParallelEquivalenceTest.eachWorker(DataParallelEquivalenceTest.inProcess(n), c -> {
            ContrastiveModel m = model(false);
            Set<Parameter> vision = Collections.newSetFromMap(new IdentityHashMap<>());
            vision.addAll(((Module) m.vision()).parameters());
            Set<Parameter> text = Collections.newSetFromMap(new IdentityHashMap<>());
            text.addAll(((Module) m.text()).parameters());
            List<String> towers = new ArrayList<>();
            m.onGradientsReady(module -> {
                List<Parameter> ps = module.parameters();
                if (!ps.isEmpty() && (vision.contains(ps.get(0)) || text.contains(ps.get(0)))) {
                    towers.add(vision.contains(ps.get(0)) ? "image" : "text");
                }
            });
            int local = GLOBAL_BATCH / n;
            long from = (long) c.rank() * local;
            INDArray px = pixels(false, 0).get(NDArrayIndex.interval(from, from + local), NDArrayIndex.all(),
                    NDArrayIndex.all(), NDArrayIndex.all()).dup('c');
            TextBatch t = TinyDualEncoder.text(200, GLOBAL_BATCH, 6);
            TextBatch mine = new TextBatch(PixelBatch.rows(t.inputIds(), from, local),
                    PixelBatch.rows(t.attentionMask(), from, local), null);
            m.zeroGrad();
            m.at(0, from);
            DataParallelGradient.accumulate(m, new ClipLoss(), new PixelBatch(px, mine), c, 1, true);
            return towers;
        });
        for (List<String> towers : reports) {
            assertTrue(towers.contains("text") && towers.contains("image"), "both towers reported: " + towers);
            assertTrue(towers.lastIndexOf("text") < towers.indexOf("image"), "every text report before every image one: " + towers);
        }
    }

    private static ContrastiveModel model(boolean resnet) {
        return resnet ? SyncBatchNormEquivalenceTest.model() : TinyDualEncoder.model(11, null);
    }

    private static INDArray pixels(boolean resnet, int step) {
        return resnet ? new Init(100 + step, DataType.FLOAT, 1.0).normal(GLOBAL_BATCH, 3, 16, 16).value()
                : TinyDualEncoder.pixels(100 + step, GLOBAL_BATCH);
    }

    /**
     * Every worker's parameters after the steps, by name; {@code bucketFloats} 0 = no buckets;
     * {@code grid} null: the mesh, else the two-level exchange over it.
     */
    private static List<Map<String, float[]>> train(int n, boolean overTcp, boolean resnet, int bucketFloats, ExchangeGrid grid)
            throws Exception {
        List<Map<String, float[]>> out = train(n, overTcp, resnet, bucketFloats, grid, false);
        out.forEach(m -> m.keySet().removeIf(k -> k.startsWith(STATE)));
        return out;
    }

    /** The same, with each worker's part of the checkpoint under {@link #STATE}; {@code replicated}: every worker updates everything. */
    private static List<Map<String, float[]>> train(int n, boolean overTcp, boolean resnet, int bucketFloats, ExchangeGrid grid,
                                                    boolean replicated) throws Exception {
        List<Collective> members = overTcp ? DataParallelEquivalenceTest.overTcp(n) : DataParallelEquivalenceTest.inProcess(n);
        return DataParallelEquivalenceTest.eachWorker(members, member -> {
            CountingGroup counted = new CountingGroup(member);
            Collective c = grid == null ? counted : new TwoLevelExchange(counted, grid);
            ContrastiveModel m = model(resnet);
            m.setBatchStatistics(c::allReduceSum);
            ShardedOptimizer opt = new ShardedOptimizer(m.namedParameters(), GROUPS, new AdamW(0.9, 0.98, 1e-6), c, 0.5,
                    bucketFloats, false, replicated);
            m.onGradientsReady(opt.gradientsReady());
            int local = GLOBAL_BATCH / n;
            long from = (long) c.rank() * local;
            for (int s = 0; s < STEPS; s++) {
                INDArray px = pixels(resnet, s).get(NDArrayIndex.interval(from, from + local), NDArrayIndex.all(),
                        NDArrayIndex.all(), NDArrayIndex.all()).dup('c');
                TextBatch t = TinyDualEncoder.text(200 + s, GLOBAL_BATCH, 6);
                TextBatch mine = new TextBatch(PixelBatch.rows(t.inputIds(), from, local),
                        PixelBatch.rows(t.attentionMask(), from, local), null);
                m.zeroGrad();
                m.at(s, from);
                int before = counted.bucketsStarted.get();
                DataParallelGradient.accumulate(m, new ClipLoss(), new PixelBatch(px, mine), c, 1, true);
                if (bucketFloats > 0) {
                    assertTrue(counted.bucketsStarted.get() > before, "buckets started during the backward pass, not in the step");
                }
                if (s == SKIPPED) {
                    opt.skip();
                } else {
                    opt.step(1.0);
                }
            }
            Map<String, float[]> out = values(m);
            opt.ownedState().forEach((k, v) -> out.put(STATE + k, v.data().asFloat()));
            return out;
        });
    }

    private static Map<String, float[]> values(ContrastiveModel m) {
        Map<String, float[]> out = new LinkedHashMap<>();
        m.namedParameters().forEach((k, p) -> out.put(k, p.value().dup('c').data().asFloat()));
        return out;
    }
}
