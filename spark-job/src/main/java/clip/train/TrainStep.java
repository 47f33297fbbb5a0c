package clip.train;

import clip.exchange.ExchangeClock;
import clip.exchange.ShardedOptimizer;
import clip.layers.StepMemory;
import clip.layers.VectorMath;
import clip.loss.ContrastiveLoss;
import clip.loss.SplitBatchGradient;
import clip.model.ContrastiveModel;
import clip.optim.LrSchedule;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One training step of one worker: its pairs of the step's global batch, the global-batch
 * gradient ({@link DataParallelGradient}), one sharded AdamW update (which clamps the logit scale:
 * {@link ShardedOptimizer#keepWithin}).
 *
 * <p>{@code parts} (or null): a lone worker's pairs cut into parts encoded side by side, one per core.
 *
 * <p>The one rule for skipped steps: a step whose loss or global gradient norm is not finite
 * changes nothing (no parameter, no AdamW moment, not AdamW's step count), while the schedule
 * still advances, as torch's GradScaler skips {@code optimizer.step()}. A non-finite loss is
 * skipped before the optimizer, a non-finite norm inside it ({@link ShardedOptimizer#step});
 * every worker sees the same global values, so all skip together. Three in a row stop the job.
 * (A skipped step also leaves train-mode BatchNorm's running statistics as they were.)
 */
final class TrainStep {
    static final int MAX_SKIPPED_IN_A_ROW = 3;
    private final ContrastiveModel model;
    private final ContrastiveLoss loss;
    private final TrainingData data;
    private final ShardedOptimizer optimizer;
    private final TrainingCheckpoints checkpoints;
    private final ExchangeClock group;
    private final LrSchedule schedule;
    private final int globalBatch;
    private final int microBatches;
    private final boolean localLoss;
    private final SplitBatchGradient parts;
    private int skippedInARow;

    /** @param checkpoints names the last good checkpoint when too many steps in a row are skipped */
    TrainStep(ContrastiveModel model, ContrastiveLoss loss, TrainingData data, ShardedOptimizer optimizer,
              TrainingCheckpoints checkpoints, ExchangeClock group,
              LrSchedule schedule, int globalBatch, int microBatches, boolean localLoss, SplitBatchGradient parts) {
        this.model = model;
        this.loss = loss;
        this.data = data;
        this.optimizer = optimizer;
        this.checkpoints = checkpoints;
        this.group = group;
        this.schedule = schedule;
        this.globalBatch = globalBatch;
        this.microBatches = microBatches;
        this.localLoss = localLoss;
        this.parts = parts;
        VectorMath.compileTrainingKernels(model.activationKinds());
    }

    /** Takes step {@code step} (0-based): the batches and the learning rate depend only on it. */
    StepResult take(long step) {
        TrainBatch batch = data.batch(step, globalBatch, group.rank(), group.size());
        double lrFactor = schedule.factor(step);
        StepResult result;
        model.at(step, (long) group.rank() * (globalBatch / group.size()));
        Map<String, INDArray> statistics = runningStatistics();
        group.lap();
        try (var ws = StepMemory.open()) {
            model.zeroGrad();
            double lossValue = DataParallelGradient.accumulate(model, loss, batch, group, microBatches, localLoss, parts);
            double gatherSeconds = group.lap();
            if (!Double.isFinite(lossValue)) {
                optimizer.skip();
            }
            double norm = Double.isFinite(lossValue) ? optimizer.step(lrFactor) : Double.NaN;
            boolean applied = Double.isFinite(lossValue) && Double.isFinite(norm);
            if (!applied) {
                statistics.forEach((name, before) -> model.namedBuffers().get(name).assign(before));
            }
            // the parameter server's time the step waited for: buckets still under way after the backward pass, and
            // the last step's overlapped gather, which the forward pass waited for, included
            double bucketWait = optimizer.bucketWaitSeconds();
            double parameterWait = optimizer.gatherWaitSeconds();
            double serverSeconds = group.lap() + bucketWait + parameterWait;
            // read when asked (the log: worker 0, which owns the logit scale), so no worker waits here for the gather
            result = new StepResult(step + 1, lossValue, norm, lrFactor, gatherSeconds, serverSeconds, bucketWait, parameterWait,
                    () -> optimizer.valueAfterStep(model.logitScale()), applied);
        }
        skippedInARow = result.applied() ? 0 : skippedInARow + 1;
        if (skippedInARow >= MAX_SKIPPED_IN_A_ROW) {
            throw checkpoints.nonFinite(MAX_SKIPPED_IN_A_ROW, result.step(), result.loss(), result.gradNorm(), optimizer,
                    result.logitScale());
        }
        return result;
    }

    /** Copies of the running statistics a step moves, so that a skipped step leaves them as they were. */
    private Map<String, INDArray> runningStatistics() {
        Map<String, INDArray> copies = new LinkedHashMap<>();
        if (model.usesBatchStatistics()) {
            model.namedBuffers().forEach((name, value) -> copies.put(name, value.dup()));
        }
        return copies;
    }
}
