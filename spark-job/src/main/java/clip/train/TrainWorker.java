package clip.train;

import clip.data.ImagePreprocessor;
import clip.data.SyntheticShapes;
import clip.data.TextEncoder;
import clip.eval.Metrics;
import clip.exchange.Collective;
import clip.exchange.ExchangeClock;
import clip.exchange.ExchangeGrid;
import clip.exchange.ShardedOptimizer;
import clip.exchange.TwoLevelExchange;
import clip.io.BadInputException;
import clip.io.LocalFiles;
import clip.layers.BatchStatistics;
import clip.layers.Parameter;
import clip.layers.VectorMath;
import clip.loss.ClipLoss;
import clip.loss.SplitBatchGradient;
import clip.model.ContrastiveModel;
import clip.tokenize.BertTokenizer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One data-parallel worker's whole job: builds its model replica, trains on its pairs of every
 * global batch (the loss is the global batch's: embeddings are gathered through the group, the
 * optimizer is sharded across it), and, on rank 0, evaluates and exports. The same code runs as
 * a thread of {@link LocalTrainer} and as a task of {@link SparkTrainer}'s barrier stage.
 *
 * <p>It works in two phases: {@link #prepare} loads the model and the worker's data (and, for
 * projection-only training, runs the towers over it), talking to no peer, so that however long
 * it takes no exchange deadline runs; {@link #train} then trains with the group: set-up, then
 * the step loop ({@link TrainStep}, {@link TrainProgress}, the {@link StepHook}s), then
 * {@link RunOutputs}.
 */
public final class TrainWorker {
    private final TrainConfig config;
    private final PrintStream log;
    private final Configuration hadoop;
    private final int rank;
    private final int workers;
    private ModelFactory.Built built;
    private TextEncoder text;
    private ImagePreprocessor pre;
    private TrainingData train;

    /**
     * @param hadoop where checkpoint, shard and feature-cache URIs are resolved
     * @param rank   this worker's rank among {@code workers}
     */
    public TrainWorker(TrainConfig config, PrintStream log, Configuration hadoop, int rank, int workers) {
        Collective.checkRank(rank, workers);
        this.config = config;
        this.log = log;
        this.hadoop = hadoop;
        this.rank = rank;
        this.workers = workers;
    }

    /** Builds the model and the training data of this worker; call it once, before {@link #train}. */
    public TrainWorker prepare() throws IOException {
        built = ModelFactory.build(config, config.outputDir().resolve("work"));
        ContrastiveModel model = built.model();
        pre = built.pre();
        text = TextEncoder.bert(BertTokenizer.withConfigBeside(built.vocab()), config.model().maxTextLength());
        TrainConfig.Data data = config.data();
        boolean shards = data.source() == TrainConfig.DataSource.SHARDS;
        long seed = config.train().seed();
        CaptionedImages images = shards
                ? ShardImages.read(data.shards(), data.trainSplit(), hadoop, rank, workers,
                        config.train().batchSize() / workers, ShardImages.pipeline(pre), seed,
                        data.damaged() == TrainConfig.Damaged.SKIP, log)
                : new ShapeImages(SyntheticShapes.scenes(data.synthetic().trainImages(), data.synthetic().seed()), pre, seed);
        TrainMode mode = config.train().mode();
        mode.applyTo(model);
        if (model.usesBatchStatistics() && config.train().microBatches() > 1) {
            throw new BadInputException("config key 'clip.train.micro-batches' must be 1 when a ResNet tower trains (train.mode"
                    + " = full): its BatchNorm would normalise each micro-batch with that micro-batch's statistics");
        }
        if (lead()) {
            log.printf("model: %,d parameters (%,d trainable); data: %d training images (%s)%s; %d worker(s)%n",
                    model.parameterCount(), trainable(model),
                    images.splitSize(), shards ? "shards " + data.shards() : "generated",
                    shards && workers > 1 ? String.format(", ~%d held by each worker", images.size()) : "", workers);
        }
        if (!VectorMath.moduleLoaded() && Nd4j.getEnvironment().isCPU()) {
            log.printf("worker %d: this JVM was started without --add-modules=jdk.incubator.vector: GELU and LayerNorm"
                    + " run on ND4J's slower ops (bin/clip and cluster/spark-submit add it)%n", rank);
        }
        if (mode.cachesTowerFeatures()) {
            byte[] textSetup = (new String(Files.readAllBytes(built.vocab()), StandardCharsets.UTF_8) + "\nmax-length "
                    + config.model().maxTextLength()).getBytes(StandardCharsets.UTF_8);
            train = new FeatureBatches(images, TowerFeatures.loadOrCompute(model, images, text, textSetup,
                    config.featureCacheUri(), rank, workers, hadoop, lead() ? log : null));
        } else {
            train = new PixelBatches(images, text);
        }
        return this;
    }

    /**
     * Trains with {@code members} (of this worker's rank and size), then evaluates and exports on rank 0.
     *
     * @param hosts every worker's host, in rank order, which the two-level exchange groups by ({@link ExchangeGrid#of})
     * @return rank 0: the evaluation metrics, also written to metrics.json; other ranks: null
     */
    public Metrics train(Collective members, List<String> hosts) throws IOException {
        checkMembers(members);
        ExchangeClock group = new ExchangeClock(config.dist().twoLevel() ? new TwoLevelExchange(members, ExchangeGrid.of(hosts)) : members);
        // SyncBatchNorm: every worker's BatchNorm sums go through the group, so N workers normalise as one
        built.model().setBatchStatistics(config.model().batchNorm() == TrainConfig.BatchNormSync.SYNC
                ? group::allReduceSum : BatchStatistics.LOCAL);
        ContrastiveModel model = built.model();
        // buckets only where the backward pass leaves each gradient final as it reports it
        boolean buckets = workers > 1 && config.train().microBatches() == 1;
        ShardedOptimizer optimizer = new ShardedOptimizer(model.namedParameters(), config.optim().groups(),
                config.optim().adamW(), group, config.train().gradClip(),
                buckets ? config.dist().bucketFloats(trainable(model)) : 0, config.dist().overlapsGather(),
                config.dist().replicatesUpdate());
        model.onGradientsReady(optimizer.gradientsReady());
        model.onParametersNeeded(optimizer.parametersNeeded());
        optimizer.keepWithin(model.logitScale(), 0, ClipLoss.MAX_LOGIT_SCALE); // OpenCLIP keeps exp(logit_scale) within [1, 100]
        TrainingCheckpoints checkpoints = new TrainingCheckpoints(config, group, hadoop,
                config.train().mode().trainedBuffers(built.model()));
        long first = resume(checkpoints, optimizer);
        Validation validation = lead() ? new Validation(config, built, text, pre, hadoop) : null;
        try (TrainProgress progress = lead() ? TrainProgress.lead(config, first, log) : TrainProgress.none();
             SplitBatchGradient parts = StepParts.forWorker(built, workers, config.train().microBatches(),
                     config.train().batchSize() / workers)) {
            TrainStep stepper = new TrainStep(built.model(), config.loss().create(), train, optimizer, checkpoints, group,
                    config.train().lrSchedule(), config.train().batchSize(), config.train().microBatches(),
                    config.loss().local(), parts);
            List<StepHook> hooks = new ArrayList<>();
            if (lead()) {
                hooks.add(new PeriodicEvaluation(validation, optimizer, config, log));
            }
            hooks.add(new PeriodicCheckpoints(checkpoints, optimizer, progress, config.train()));
            for (long step = first; step < config.train().steps(); step++) {
                StepResult result = stepper.take(step);
                progress.record(result);
                for (StepHook hook : hooks) {
                    hook.after(result);
                }
            }
            optimizer.awaitParameters(); // the last step's gather, before evaluation and export read the model
        }
        return lead() ? RunOutputs.write(config, built, validation, log) : null;
    }

    private static long trainable(ContrastiveModel model) {
        return model.parameters().stream().filter(Parameter::trainable).mapToLong(Parameter::size).sum();
    }

    private void checkMembers(Collective members) {
        if (train == null) {
            throw new IllegalStateException("prepare() first");
        }
        if (members.rank() != rank || members.size() != workers) {
            throw new IllegalArgumentException("prepared as worker " + rank + " of " + workers + ", given a group's rank "
                    + members.rank() + " of " + members.size());
        }
    }

    /**
     * Restores the newest checkpoint when the run resumes, and makes rank 0's logs agree with it.
     *
     * @return the step training starts from
     */
    private long resume(TrainingCheckpoints checkpoints, ShardedOptimizer optimizer) throws IOException {
        long first = checkpoints.resume(optimizer, config.train().resume() == TrainConfig.Resume.AUTO, lead() ? log : null);
        if (lead()) {
            Path out = config.outputDir();
            RunLogs.keepThrough(out.resolve(TrainProgress.TRAIN_LOG), first);
            // The last step's evaluation comes after its checkpoint (RunOutputs'): a run resumed there takes it again.
            long last = config.train().steps();
            RunLogs.keepThrough(out.resolve(Validation.EVAL_LOG), first == last ? last - 1 : first);
            if (first == 0) {
                LocalFiles.deleteTree(out.resolve(Validation.BEST)); // an earlier run's best is not this run's
            }
        }
        return first;
    }

    private boolean lead() {
        return rank == 0;
    }
}
