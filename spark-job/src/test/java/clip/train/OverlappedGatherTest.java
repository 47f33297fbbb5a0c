package clip.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.exchange.Collective;
import clip.exchange.ExchangeGrid;
import clip.exchange.ShardedOptimizer;
import clip.exchange.TwoLevelExchange;
import clip.layers.Init;
import clip.loss.ClipLoss;
import clip.model.ContrastiveModel;
import clip.model.TextBatch;
import clip.optim.AdamW;
import clip.optim.ParameterGroups;
import clip.testutil.TinyDualEncoder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The all-gather of updated parameters overlapped with the next forward pass gives the bits of
 * the all-gather at the end of the step: every step's loss and gradient norm and the final
 * parameters, in shared memory and over TCP, with gradient buckets and without, through the full
 * mesh and the two-level exchange, for a ViT + BERT model and a ResNet whose SyncBatchNorm sums use
 * the main line during the forward pass, through a step skipped before the update; and the logit
 * scale's clamp, now applied by its owner before the gather, is the clamp the step applied to
 * the parameter after it.
 */
class OverlappedGatherTest {
    private static final int GLOBAL_BATCH = 12;
    private static final int STEPS = 4;
    /** The step skipped as a non-finite loss would be: nothing changes, no gather starts. */
    private static final int SKIPPED = 1;
    private static final ParameterGroups GROUPS = new ParameterGroups(1e-3, 2e-3, 1e-2, 0.2, 0.1);
    /** Bounds so tight around the starting logit scale that every step's update leaves them and is clamped. */
    private static final double SCALE = 2.0;
    private static final double LOW = SCALE - 1e-3;
    private static final double HIGH = SCALE + 1e-3;

    /** What a worker saw: each step's loss and gradient norm, and its parameters at the end, by name. */
    private record Run(List<Double> losses, List<Double> norms, Map<String, float[]> parameters) {
    }

    @ParameterizedTest(name = "{0} workers, TCP={1}, buckets of {2} floats, two-level={3}, ResNet with SyncBatchNorm={4}")
    @CsvSource({"2,false,0,false,false", "3,false,64,false,false", "2,true,64,false,false", "3,true,0,false,false",
            "3,false,0,true,false", "3,true,64,true,false", "4,false,7,true,false", "4,true,300,true,false",
            "2,false,64,false,true", "3,true,0,false,true"})
    void theOverlappedGatherGivesTheBitsOfTheGatherAtTheEndOfTheStep(int n, boolean overTcp, int bucketFloats, boolean twoLevel,
                                                                     boolean resnet) throws Exception {
        ExchangeGrid grid = twoLevel ? ExchangeGrid.nearSquare(n) : null;
        List<Run> atTheEnd = train(n, overTcp, bucketFloats, grid, resnet, false);
        List<Run> overlapped = train(n, overTcp, bucketFloats, grid, resnet, true);
        float scale = atTheEnd.get(0).parameters().get("logit_scale")[0];
        assertTrue(scale == (float) LOW || scale == (float) HIGH, "the clamp was applied: " + scale);
        for (int w = 0; w < n; w++) {
            assertEquals(atTheEnd.get(w).losses(), overlapped.get(w).losses(), "worker " + w + ": losses");
            assertEquals(atTheEnd.get(w).norms(), overlapped.get(w).norms(), "worker " + w + ": gradient norms");
            assertEquals(atTheEnd.get(w).parameters().keySet(), overlapped.get(w).parameters().keySet());
            for (String k : atTheEnd.get(w).parameters().keySet()) {
                assertArrayEquals(atTheEnd.get(w).parameters().get(k), overlapped.get(w).parameters().get(k), "worker " + w + ", " + k);
            }
        }
    }

    /** OpenCLIP clamps the logit scale whether it trains or not: a frozen one is set in place on every worker. */
    @Test
    void aBoundedParameterIsClampedWhetherItTrainsOrNot() throws Exception {
        for (boolean trained : new boolean[] {true, false}) {
            List<Float> scales = DataParallelEquivalenceTest.eachWorker(DataParallelEquivalenceTest.inProcess(2), c -> {
                ContrastiveModel m = TinyDualEncoder.model(11, null);
                m.logitScale().value().assign(5.0);
                m.logitScale().setTrainable(trained);
                ShardedOptimizer opt = new ShardedOptimizer(m.namedParameters(), GROUPS, new AdamW(0.9, 0.98, 1e-6), c, 0.5, 0, true);
                opt.keepWithin(m.logitScale(), 0, ClipLoss.MAX_LOGIT_SCALE);
                m.zeroGrad();
                opt.step(1.0);
                float ownersView = (float) opt.valueAfterStep(m.logitScale());
                opt.awaitParameters();
                assertEquals(ownersView, m.logitScale().value().getFloat(0), "worker " + c.rank() + ": read before the gather");
                return m.logitScale().value().getFloat(0);
            });
            assertEquals(List.of((float) ClipLoss.MAX_LOGIT_SCALE, (float) ClipLoss.MAX_LOGIT_SCALE), scales, "trained: " + trained);
        }
    }

    /**
     * Every worker's run. Not overlapped: the step's own all-gather, then the clamp on the
     * parameter, as the training step did it before the owner clamped. Overlapped: the owner's
     * clamp ({@link ShardedOptimizer#keepWithin}) and a gather that no step waits for.
     */
    private static List<Run> train(int n, boolean overTcp, int bucketFloats, ExchangeGrid grid, boolean resnet, boolean overlap)
            throws Exception {
        List<Collective> members = overTcp ? DataParallelEquivalenceTest.overTcp(n) : DataParallelEquivalenceTest.inProcess(n);
        return DataParallelEquivalenceTest.eachWorker(members, member -> {
            Collective c = grid == null ? member : new TwoLevelExchange(member, grid);
            ContrastiveModel m = resnet ? SyncBatchNormEquivalenceTest.model() : TinyDualEncoder.model(11, null);
            m.setBatchStatistics(c::allReduceSum);
            m.logitScale().value().assign(SCALE);
            ShardedOptimizer opt = new ShardedOptimizer(m.namedParameters(), GROUPS, new AdamW(0.9, 0.98, 1e-6), c, 0.5,
                    bucketFloats, overlap);
            m.onGradientsReady(opt.gradientsReady());
            m.onParametersNeeded(opt.parametersNeeded());
            if (overlap) {
                opt.keepWithin(m.logitScale(), LOW, HIGH);
            }
            int local = GLOBAL_BATCH / n;
            long from = (long) c.rank() * local;
            List<Double> losses = new ArrayList<>();
            List<Double> norms = new ArrayList<>();
            for (int s = 0; s < STEPS; s++) {
                INDArray all = resnet ? new Init(100 + s, DataType.FLOAT, 1.0).normal(GLOBAL_BATCH, 3, 16, 16).value()
                        : TinyDualEncoder.pixels(100 + s, GLOBAL_BATCH);
                INDArray px = all.get(NDArrayIndex.interval(from, from + local),
                        NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all()).dup('c');
                TextBatch t = TinyDualEncoder.text(200 + s, GLOBAL_BATCH, 6);
                TextBatch mine = new TextBatch(PixelBatch.rows(t.inputIds(), from, local),
                        PixelBatch.rows(t.attentionMask(), from, local), null);
                m.zeroGrad();
                m.at(s, from);
                losses.add(DataParallelGradient.accumulate(m, new ClipLoss(), new PixelBatch(px, mine), c, 1, true));
                if (s == SKIPPED) {
                    opt.skip();
                    continue;
                }
                Map<String, float[]> before = values(m);
                norms.add(opt.step(1.0));
                if (overlap) {
                    Map<String, float[]> after = values(m);
                    for (String k : before.keySet()) {
                        assertArrayEquals(before.get(k), after.get(k), "the step left " + k + " to the next forward pass");
                    }
                } else {
                    double v = m.logitScale().value().getDouble(0); // the training step's clamp before the owner's
                    if (v < LOW || v > HIGH) {
                        m.logitScale().value().assign(Math.max(LOW, Math.min(HIGH, v)));
                    }
                }
            }
            opt.awaitParameters();
            return new Run(losses, norms, values(m));
        });
    }

    private static Map<String, float[]> values(ContrastiveModel m) {
        Map<String, float[]> out = new LinkedHashMap<>();
        m.namedParameters().forEach((k, p) -> out.put(k, p.value().dup('c').data().asFloat()));
        return out;
    }
}
