package clip.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.exchange.Collective;
import clip.exchange.InProcessGroup;
import clip.exchange.ShardedOptimizer;
import clip.layers.BatchStatistics;
import clip.layers.Init;
import clip.loss.ClipLoss;
import clip.model.ContrastiveModel;
import clip.model.HfModels;
import clip.model.TextBatch;
import clip.optim.AdamW;
import clip.optim.ParameterGroups;
import clip.testutil.TinyDualEncoder;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A ResNet + DistilBERT model trained in full (BatchNorm in train mode, residual heads with
 * dropout) by 1, 2 and 4 workers: with SyncBatchNorm (the BatchNorm sums all-reduced through the
 * group) every worker ends with the parameters and running statistics one worker reaches on the
 * whole batch, as DataParallelEquivalenceTest checks for the rest of the step; with per-worker
 * statistics they do not, and rank 0's running statistics are those of its own pairs.
 */
class SyncBatchNormEquivalenceTest {
    private static final int GLOBAL_BATCH = 8;
    private static final int STEPS = 3;
    private static final ParameterGroups GROUPS = new ParameterGroups(2e-3, 2e-3, 1e-2, 0.1, 0.1);

    static ContrastiveModel model() {
        ObjectNode c = new ObjectMapper().createObjectNode().put("model_type", "vision-text-dual-encoder").put("projection_dim", 8)
                .put("projection", "residual").put("projection_dropout", 0.25);
        ObjectNode vision = c.putObject("vision_config").put("architecture", "resnet").put("block", "basic").put("image_size", 16);
        vision.putArray("layers").add(1).add(1).add(1).add(1);
        vision.putArray("planes").add(4).add(4).add(8).add(8);
        c.putObject("text_config").put("model_type", "distilbert").put("vocab_size", 20).put("dim", 8).put("n_layers", 1)
                .put("n_heads", 2).put("hidden_dim", 16).put("max_position_embeddings", 16);
        ContrastiveModel m = HfModels.build(c, "test", new Init(13, DataType.FLOAT, 0.3), null).asContrastive();
        TrainMode.FULL.applyTo(m);
        return m;
    }

    private static INDArray pixels(int step) {
        return new Init(100 + step, DataType.FLOAT, 1.0).normal(GLOBAL_BATCH, 3, 16, 16).value();
    }

    private static TextBatch text(int step) {
        return TinyDualEncoder.text(200 + step, GLOBAL_BATCH, 6);
    }

    /** Every worker's parameters and buffers after {@code steps} steps, by name. */
    private static List<Map<String, INDArray>> train(int n, boolean sync, int steps) throws Exception {
        InProcessGroup group = new InProcessGroup(n, 30_000);
        List<Collective> members = new ArrayList<>();
        for (int rank = 0; rank < n; rank++) {
            members.add(group.member(rank));
        }
        return train(members, sync, steps);
    }

    private static List<Map<String, INDArray>> train(List<Collective> members, boolean sync, int steps) throws Exception {
        int n = members.size();
        return DataParallelEquivalenceTest.eachWorker(members, c -> {
            ContrastiveModel m = model();
            m.setBatchStatistics(sync ? c::allReduceSum : BatchStatistics.LOCAL);
            ShardedOptimizer opt = new ShardedOptimizer(m.namedParameters(), GROUPS, new AdamW(0.9, 0.98, 1e-6), c, 1.0);
            int local = GLOBAL_BATCH / n;
            long from = (long) c.rank() * local;
            for (int s = 0; s < steps; s++) {
                INDArray px = pixels(s).get(NDArrayIndex.interval(from, from + local), NDArrayIndex.all(),
                        NDArrayIndex.all(), NDArrayIndex.all()).dup('c');
                TextBatch t = text(s);
                TextBatch mine = new TextBatch(PixelBatch.rows(t.inputIds(), from, local),
                        PixelBatch.rows(t.attentionMask(), from, local), null);
                m.zeroGrad();
                m.at(s, from);
                DataParallelGradient.accumulate(m, new ClipLoss(), new PixelBatch(px, mine), c, 1, true);
                opt.step(1.0);
            }
            return state(m);
        });
    }

    private static Map<String, INDArray> state(ContrastiveModel m) {
        Map<String, INDArray> out = new LinkedHashMap<>();
        m.namedParameters().forEach((k, p) -> out.put(k, p.value()));
        out.putAll(m.namedBuffers());
        return out;
    }

    private static double maxDiff(Map<String, INDArray> a, Map<String, INDArray> b, String key) {
        return a.get(key).sub(b.get(key)).amaxNumber().doubleValue();
    }

    @ParameterizedTest(name = "{0} workers")
    @ValueSource(ints = {2, 4})
    void syncBatchNormWorkersEndWhereOneWorkerEnds(int n) throws Exception {
        Map<String, INDArray> one = train(1, true, STEPS).get(0);
        Map<String, INDArray> initial = state(model());
        assertTrue(maxDiff(one, initial, "vision_model.layer1.0.bn1.running_var") > 1e-3, "the running statistics moved");
        for (Map<String, INDArray> worker : train(n, true, STEPS)) {
            for (String k : one.keySet()) {
                // float sums in another order; three AdamW steps move parameters by ~6e-3 each
                assertTrue(maxDiff(worker, one, k) <= 2e-5, n + " workers, " + k + ": max |diff| " + maxDiff(worker, one, k));
            }
        }
    }

    @Test
    void syncBatchNormOverTcpEndsWhereOneWorkerEnds() throws Exception {
        Map<String, INDArray> one = train(1, true, STEPS).get(0);
        for (Map<String, INDArray> worker : train(DataParallelEquivalenceTest.overTcp(2), true, STEPS)) {
            for (String k : one.keySet()) {
                assertTrue(maxDiff(worker, one, k) <= 2e-5, "over TCP, " + k + ": max |diff| " + maxDiff(worker, one, k));
            }
        }
    }

    @Test
    void perWorkerStatisticsAreEachWorkersOwnAndDifferFromTheGlobalBatchs() throws Exception {
        List<Map<String, INDArray>> perWorker = train(2, false, 1);
        Map<String, INDArray> sync = train(2, true, 1).get(0);
        // rank 0's running statistics are those of its own four images through the initial tower
        ContrastiveModel alone = model();
        alone.encodeImages(pixels(0).get(NDArrayIndex.interval(0, GLOBAL_BATCH / 2), NDArrayIndex.all(), NDArrayIndex.all(),
                NDArrayIndex.all()).dup('c'));
        Map<String, INDArray> own = state(alone);
        for (String k : own.keySet()) {
            if (k.contains("running_")) {
                assertTrue(maxDiff(perWorker.get(0), own, k) <= 1e-6, k + ": max |diff| " + maxDiff(perWorker.get(0), own, k));
                assertTrue(maxDiff(perWorker.get(0), sync, k) > 1e-4, k + " differs from the global batch's");
            }
        }
        assertTrue(maxDiff(perWorker.get(0), perWorker.get(1), "vision_model.bn1.running_mean") > 1e-4,
                "each worker's statistics are its own");
        assertEquals(perWorker.get(0).keySet(), sync.keySet());
    }

    /**
     * GradCache encodes each micro-batch twice; the residual heads' dropout must draw the same masks
     * both times and the same as the whole batch does, so the gradient is the whole batch's.
     */
    @Test
    void dropoutMasksAreTheSameInMicroBatchesAndGradCachesSecondPass() {
        Map<String, INDArray> whole = headGradients(1);
        Map<String, INDArray> pieces = headGradients(4);
        assertTrue(whole.get("visual_projection.linear2.weight").amaxNumber().doubleValue() > 0, "the heads get a gradient");
        for (String k : whole.keySet()) {
            assertTrue(maxDiff(whole, pieces, k) <= 1e-6, k + ": max |diff| " + maxDiff(whole, pieces, k));
        }
    }

    private static Map<String, INDArray> headGradients(int microBatches) {
        ContrastiveModel m = model();
        TrainMode.FROZEN_TOWERS.applyTo(m);
        m.at(5, 0);
        InProcessGroup group = new InProcessGroup(1, 30_000);
        DataParallelGradient.accumulate(m, new ClipLoss(), new PixelBatch(pixels(0), text(0)), group.member(0), microBatches, true);
        Map<String, INDArray> out = new LinkedHashMap<>();
        m.namedParameters().forEach((k, p) -> {
            if (p.trainable()) {
                out.put(k, p.grad().dup());
            }
        });
        return out;
    }
}
