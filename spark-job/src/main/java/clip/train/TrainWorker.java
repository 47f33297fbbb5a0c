package clip.train;

import clip.loss.ClipLoss;
import clip.loss.ContrastiveLoss;
import clip.optim.AdamW;
import clip.optim.LrSchedule;
import clip.optim.ParameterGroups;

import clip.io.LocalFiles;
import clip.data.ImagePreprocessor;
import clip.data.SyntheticShapes;
import clip.exchange.Collective;
import clip.exchange.ExchangeClock;
import clip.exchange.ShardedOptimizer;
import clip.data.ImagePipeline;
import clip.data.TextEncoder;
import clip.model.ContrastiveModel;
import clip.layers.Parameter;
import clip.layers.StepMemory;
import clip.loss.SplitBatchGradient;
import clip.layers.VectorMath;
import clip.tokenize.BertTokenizer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import com.fasterxml.jackson.databind.JsonNode;
import org.apache.hadoop.conf.Configuration;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One data-parallel worker's whole job: builds its model replica, trains on its pairs of every
 * global batch (the loss is the global batch's: embeddings are gathered through the group, the
 * optimizer is sharded across it), and, on rank 0, evaluates and exports. The same code runs as
 * a thread of {@link LocalTrainer} and as a task of {@link SparkTrainer}'s barrier stage. A step
 * whose loss or gradient is not finite is skipped (every worker sees the same global values);
 * three in a row stop the job.
 *
 * <p>It works in two phases: {@link #prepare} loads the model and the worker's data (and, for
 * projection-only training, runs the towers over it), talking to no peer, so that however long
 * it takes no exchange deadline runs; {@link #train} then trains with the group.
 */
public final class TrainWorker {
    private static final int MAX_BAD_STEPS = 3;
    private static final String TRAIN_LOG = "train-log.jsonl";
    private final TrainConfig config;
    private final PrintStream log;
    private final Configuration hadoop;
    private final int rank;
    private final int workers;
    private ModelFactory.Built built;
    private BertTokenizer tokenizer;
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
        boolean lead = rank == 0;
        built = ModelFactory.build(config, config.outputDir().resolve("work"));
        ContrastiveModel model = built.model();
        tokenizer = BertTokenizer.fromVocab(built.vocab());
        int imageSize = built.hfConfig().path("vision_config").path("image_size").asInt(config.imageSize());
        pre = new ImagePreprocessor(imageSize, ImagePreprocessor.HALF, ImagePreprocessor.HALF);
        TextEncoder text = TextEncoder.bert(tokenizer, config.maxTextLength());
        boolean shards = config.dataSource().equals("shards");
        CaptionedImages images = shards
                ? ShardImages.read(config.shards(), config.trainSplit(), hadoop, rank, workers, config.batchSize() / workers,
                        pipeline(imageSize), config.seed())
                : new ShapeImages(SyntheticShapes.scenes(config.trainImages(), config.dataSeed()), pre, config.seed());
        config.mode().applyTo(model);
        if (lead) {
            log.printf("model: %,d parameters (%,d trainable); data: %d training images (%s)%s; %d worker(s)%n",
                    model.parameterCount(), model.parameters().stream().filter(Parameter::trainable).mapToLong(Parameter::size).sum(),
                    images.splitSize(), shards ? "shards " + config.shards() : "generated",
                    shards && workers > 1 ? String.format(", ~%d held by each worker", images.size()) : "", workers);
        }
        if (!VectorMath.moduleLoaded() && Nd4j.getEnvironment().isCPU()) {
            log.printf("worker %d: this JVM was started without --add-modules=jdk.incubator.vector: GELU and LayerNorm"
                    + " run on ND4J's slower ops (bin/clip and cluster/spark-submit add it)%n", rank);
        }
        if (config.mode().cachesTowerFeatures()) {
            byte[] textSetup = (new String(Files.readAllBytes(built.vocab()), StandardCharsets.UTF_8) + "\nmax-length "
                    + config.maxTextLength()).getBytes(StandardCharsets.UTF_8);
            train = new FeatureBatches(images, TowerFeatures.loadOrCompute(model, images, text, textSetup,
                    config.featureCacheUri(), rank, workers, hadoop, lead ? log : null));
        } else {
            train = new PixelBatches(images, text);
        }
        return this;
    }

    /**
     * Trains with {@code group} (of this worker's rank and size), then evaluates and exports on rank 0.
     *
     * @return rank 0: the evaluation metrics, also written to metrics.json; other ranks: null
     */
    public ObjectNode train(Collective members) throws IOException {
        if (train == null) {
            throw new IllegalStateException("prepare() first");
        }
        if (members.rank() != rank || members.size() != workers) {
            throw new IllegalArgumentException("prepared as worker " + rank + " of " + workers + ", given a group's rank "
                    + members.rank() + " of " + members.size());
        }
        ExchangeClock group = new ExchangeClock(members);
        boolean lead = rank == 0;
        Path out = config.outputDir();
        ContrastiveModel model = built.model();
        ShardedOptimizer optimizer = new ShardedOptimizer(model.namedParameters(),
                new ParameterGroups(config.lrImage(), config.lrText(), config.lrLogit(), config.weightDecayImage(),
                        config.weightDecayText()),
                new AdamW(config.beta1(), config.beta2(), config.eps()), group, config.gradClip());
        TrainingCheckpoints checkpoints = new TrainingCheckpoints(config.checkpointUri(), config.keepCheckpoints(), group, hadoop);
        long first = 0;
        if (config.resume().equals("auto")) {
            Optional<JsonNode> state = checkpoints.restoreLatest(optimizer);
            if (state.isPresent()) {
                first = state.get().path("step").asLong();
                if (lead) {
                    log.printf("resuming at step %d from the checkpoint in %s%n", first, config.checkpointUri());
                }
            }
        }
        if (lead) {
            RunLogs.keepThrough(out.resolve(TRAIN_LOG), first);
            RunLogs.keepThrough(out.resolve(Validation.EVAL_LOG), first);
            if (first == 0) {
                LocalFiles.deleteTree(out.resolve(Validation.BEST)); // an earlier run's best is not this run's
            }
        }
        Validation validation = lead ? new Validation(config, model, built, tokenizer, pre, hadoop) : null;
        LrSchedule schedule = config.lrSchedule();
        ContrastiveLoss loss = config.contrastiveLoss();
        ObjectMapper json = new ObjectMapper();
        long started = System.nanoTime();
        int badInARow = 0;
        try (Writer trainLog = lead ? Files.newBufferedWriter(out.resolve(TRAIN_LOG), StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND) : null;
             SplitBatchGradient parts = StepParts.forWorker(built, workers, config.microBatches(), config.batchSize() / workers)) {
            for (long step = first; step < config.steps(); step++) {
                TrainBatch batch = train.batch(step, config.batchSize(), rank, workers);
                double lossValue;
                double norm;
                double gatherSeconds;
                group.lap();
                try (var ws = StepMemory.open()) {
                    model.zeroGrad();
                    lossValue = DataParallelGradient.accumulate(model, loss, batch, group, config.microBatches(), parts).loss();
                    gatherSeconds = group.lap();
                    norm = Double.isFinite(lossValue) ? optimizer.step(schedule.factor(step)) : Double.NaN;
                    if (Double.isFinite(norm)) {
                        clampLogitScale(model);
                    }
                }
                long done = step + 1;
                if (!Double.isFinite(lossValue) || !Double.isFinite(norm)) {
                    badInARow++;
                    if (lead) {
                        log.printf("step %d: non-finite loss %s or gradient norm %s; step skipped%n", done, lossValue, norm);
                    }
                    if (badInARow >= MAX_BAD_STEPS) {
                        throw new IllegalStateException(MAX_BAD_STEPS + " non-finite steps in a row at step " + done
                                + ": lower the learning rates or enable clip.train.grad-clip");
                    }
                } else {
                    badInARow = 0;
                    if (lead) {
                        double lr = config.lrImage() * schedule.factor(step);
                        trainLog.write(json.writeValueAsString(json.createObjectNode().put("step", done).put("loss", lossValue)
                                .put("lr_image", lr).put("grad_norm", norm)
                                .put("gather_s", round(gatherSeconds)).put("param_server_s", round(group.lap()))
                                .put("logit_scale", model.logitScale().value().getDouble(0))) + "\n");
                        if (done % config.logEvery() == 0 || done == config.steps()) {
                            double perStep = (System.nanoTime() - started) / 1e9 / (done - first);
                            log.printf("step %d/%d  loss %.4f  lr %.2e  %.1f samples/s  ETA %s%n", done, config.steps(),
                                    lossValue, lr, config.batchSize() / perStep, duration(perStep * (config.steps() - done)));
                        }
                    }
                }
                if (lead && config.evalEvery() > 0 && done % config.evalEvery() == 0 && done < config.steps()) {
                    ObjectNode m = validation.evaluate(done);
                    log.printf("eval at step %d: %s %.2f%n", done, config.evalMetric(), Validation.metric(m, config.evalMetric()));
                }
                if (config.checkpointEvery() > 0 && (done % config.checkpointEvery() == 0 || done == config.steps())) {
                    if (lead) {
                        trainLog.flush(); // the log must reach at least as far as the checkpoint a resume starts from
                    }
                    checkpoints.save(done, optimizer, TrainingCheckpoints.state(done));
                }
            }
        }
        return lead ? finish(model, validation) : null;
    }

    private ObjectNode finish(ContrastiveModel model, Validation validation) throws IOException {
        Path out = config.outputDir();
        ObjectNode metrics = validation.evaluate(config.steps());
        Path modelDir = out.resolve("model");
        HfExport.write(model, built.hfConfig(), built.vocab(), modelDir);
        Path tmp = out.resolve("metrics.json.tmp");
        new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), metrics);
        Files.move(tmp, out.resolve("metrics.json"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        int images = metrics.path("images").asInt();
        int captions = metrics.path("captions").asInt();
        log.printf("validation (%d images, %d captions): image->text R@1 %.1f R@5 %.1f | text->image R@1 %.1f R@5 %.1f"
                        + " | zero-shot top-1 %.1f%% over %d classes%n", images, captions,
                metrics.path("image_to_text").path("R@1").asDouble(), metrics.path("image_to_text").path("R@5").asDouble(),
                metrics.path("text_to_image").path("R@1").asDouble(), metrics.path("text_to_image").path("R@5").asDouble(),
                metrics.path("zero_shot").path("top1").asDouble(), metrics.path("zero_shot").path("classes").asInt());
        log.printf("chance: R@1 %.1f (image->text, %.1f captions each) / %.1f (text->image); model in %s, metrics in %s%n",
                100.0 / images, (double) captions / images, 100.0 / images, modelDir, out.resolve("metrics.json"));
        return metrics;
    }

    /** Shard images as training sees them and as the exported preprocessor_config.json describes: shorter side, then a square crop. */
    static ImagePipeline pipeline(int size) {
        return new ImagePipeline(size, ImagePreprocessor.HALF, ImagePreprocessor.HALF, true);
    }

    /** OpenCLIP keeps exp(logit_scale) within [1, 100] after every step. */
    private static void clampLogitScale(ContrastiveModel model) {
        double v = model.logitScale().value().getDouble(0);
        if (v < 0 || v > ClipLoss.MAX_LOGIT_SCALE) {
            model.logitScale().value().assign(Math.max(0, Math.min(ClipLoss.MAX_LOGIT_SCALE, v)));
        }
    }

    private static double round(double seconds) {
        return Math.round(seconds * 1e4) / 1e4;
    }

    private static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 60 ? (s / 60) + "m" + String.format("%02d", s % 60) + "s" : s + "s";
    }
}
