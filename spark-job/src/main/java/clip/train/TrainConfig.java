package clip.train;

import clip.eval.Metrics;
import clip.io.BadInputException;
import clip.loss.ClipLoss;
import clip.loss.ContrastiveLoss;
import clip.loss.SigLipLoss;
import clip.optim.AdamW;
import clip.optim.LrSchedule;
import clip.optim.ParameterGroups;
import com.typesafe.config.Config;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The typed view of the {@code clip} block of the configuration: one record per HOCON block of
 * reference.conf ({@code clip.retrain} is {@link clip.retrain.RetrainConfig}'s), an enum per
 * choice. Every check that needs no other file than the configuration happens here, with a
 * one-line error naming the key.
 */
public record TrainConfig(Model model, Loss loss, Data data, Train train, Optim optim, Dist dist, Eval eval,
                          Output output) {

    /**
     * {@code clip.model}. The size keys describe towers trained from scratch; an HF checkpoint
     * brings its own towers and heads, pretrained towers ({@code init = towers}) their own towers.
     */
    public record Model(ModelInit init, String checkpoint, String vocab, int imageSize, int patchSize, int hiddenSize,
                        int layers, int heads, int mlpRatio, int projectionDim, double logitScaleInit, int maxTextLength,
                        double initStd, Towers towers, Heads headSpec, ImageNormalisation imageNormalisation,
                        BatchNormSync batchNorm) {
    }

    /** Which towers: from scratch ({@code vision}, {@code text}, {@code resnet}) or from their folders ({@code init = towers}). */
    public record Towers(VisionTower vision, TextTower text, ResNet resnet, String visionCheckpoint, String textCheckpoint) {
    }

    /** {@code clip.model.resnet}: an architecture name, or {@code resnet} with block, layers and planes (config.json's two forms). */
    public record ResNet(String architecture, String block, List<Integer> layers, List<Integer> planes) {
    }

    /** The projection heads and the temperature. */
    public record Heads(Projection projection, double dropout, boolean learnLogitScale) {
    }

    public enum VisionTower { VIT, RESNET }

    public enum TextTower { BERT, DISTILBERT }

    public enum Projection { LINEAR, MLP, RESIDUAL }

    /** auto: the vision tower family's own (see ModelImagePreprocessing). */
    public enum ImageNormalisation { AUTO, IMAGENET, CLIP, HALF }

    /** Train-mode BatchNorm across workers: the global batch's statistics, or each worker's own. */
    public enum BatchNormSync { SYNC, PER_WORKER }

    /**
     * {@code clip.loss}. {@code local}: each worker takes the loss of its own rows against every
     * gathered row and sends the gathered rows' gradients back to their owners (OpenCLIP's local
     * loss), instead of every worker taking the whole global batch's loss.
     */
    public record Loss(LossKind kind, double siglipScaleInit, double siglipBiasInit, boolean local) {
        public ContrastiveLoss create() {
            return kind == LossKind.SIGLIP ? new SigLipLoss() : new ClipLoss();
        }
    }

    /** {@code clip.data}; {@code synthetic} is the generated dataset's sub-block. */
    public record Data(DataSource source, String shards, String trainSplit, String valSplit, int valLimit,
                       Damaged damaged, Synthetic synthetic) {
        /** The most validation images to evaluate on. */
        public int valImagesAtMost() {
            return valLimit > 0 ? valLimit : Integer.MAX_VALUE;
        }
    }

    /** {@code clip.data.synthetic}. */
    public record Synthetic(int trainImages, int valImages, long seed) {
    }

    /** {@code clip.train}. */
    public record Train(int steps, int batchSize, long seed, int microBatches, TrainMode mode, String featureCache,
                        double gradClip, Schedule schedule, int warmupSteps, int restartsT0, int restartsTMult,
                        double minLrRatio, int logEvery, int checkpointEvery, int keepCheckpoints, String checkpointDir,
                        Resume resume) {
        public LrSchedule lrSchedule() {
            return switch (schedule) {
                case COSINE -> LrSchedule.warmupCosine(warmupSteps, steps, minLrRatio);
                case RESTARTS -> LrSchedule.cosineWarmRestarts(restartsT0, restartsTMult, minLrRatio, warmupSteps);
                case CONSTANT -> LrSchedule.constant();
            };
        }
    }

    /** {@code clip.optim}: AdamW with per-tower learning rates and weight decays. */
    public record Optim(double lrImage, double lrText, double lrLogit, double weightDecayImage, double weightDecayText,
                        double beta1, double beta2, double eps) {
        public ParameterGroups groups() {
            return new ParameterGroups(lrImage, lrText, lrLogit, weightDecayImage, weightDecayText);
        }

        public AdamW adamW() {
            return new AdamW(beta1, beta2, eps);
        }
    }

    /** {@code clip.dist}. */
    public record Dist(int workers, long timeoutMillis, int maxRestarts, Engine engine, String listenHost, int port,
                       double bucketMb, Exchange exchange, boolean overlapGather, Update update) {
        /** From this many workers {@code exchange = auto} takes the two-level exchange (see BENCHMARKS.md's projection). */
        public static final int AUTO_TWO_LEVEL = 64;

        /** Whether the parameter server exchanges in two hops ({@link clip.exchange.TwoLevelExchange}) rather than the full mesh. */
        public boolean twoLevel() {
            return workers > 1 && (exchange == Exchange.TWO_LEVEL || exchange == Exchange.AUTO && workers >= AUTO_TWO_LEVEL);
        }

        /** Whether the all-gather of updated parameters runs behind the next forward pass (a lone worker has none). */
        public boolean overlapsGather() {
            return workers > 1 && overlapGather;
        }

        /** Whether every worker updates every parameter from the gathered sums (a lone worker's update is the same either way). */
        public boolean replicatesUpdate() {
            return workers > 1 && update == Update.REPLICATED;
        }

        /**
         * Floats per gradient bucket for a model of {@code trainable} values, 0 for none: at most
         * {@code bucket-mb}, and at most an eighth of the model, so a small model is still cut in
         * eight buckets whose exchanges can start during the backward pass. (A quarter left most
         * of issue 14's tiny architecture's image tower in the last bucket: an eighth, or 4 MB,
         * made its step about 0.94x at 1 Gbit/s and the tiny recipe's no slower; BENCHMARKS.md.)
         */
        public int bucketFloats(long trainable) {
            long cap = (long) (bucketMb * (1 << 20) / Float.BYTES);
            return cap == 0 ? 0 : (int) Math.max(1, Math.min(cap, (trainable + 7) / 8));
        }
    }

    /** {@code clip.eval}. */
    public record Eval(int every, String metric, String templates) {
    }

    /**
     * {@code clip.output}: {@code dir} is the run folder, or blank until {@link RunFolder} makes a
     * new one under {@code runs}.
     */
    public record Output(String dir, Path runs) {
        public boolean chosen() {
            return !dir.isBlank();
        }
    }

    public enum ModelInit { SCRATCH, HF, TOWERS }

    public enum LossKind { CLIP, SIGLIP }

    public enum DataSource { SYNTHETIC, SHARDS }

    /** A training shard whose bytes differ from manifest.json's SHA-256: stop, or train on its images that still decode. */
    public enum Damaged { STOP, SKIP }

    public enum Schedule { COSINE, RESTARTS, CONSTANT }

    /** auto: continue from the newest checkpoint there is; never: start afresh. */
    public enum Resume { AUTO, NEVER }

    /** Where the workers run: threads of this JVM, a Spark barrier stage, or Spark only under spark-submit. */
    public enum Engine { AUTO, THREADS, SPARK }

    /** The parameter server's exchange: every worker to every other, two hops over a grid, or two hops for many workers. */
    public enum Exchange { MESH, TWO_LEVEL, AUTO }

    /** {@code clip.dist.update}: where AdamW runs, each shard on its owner or everything on every worker. */
    public enum Update { SHARDED, REPLICATED }

    public static TrainConfig from(Config root) {
        Config c = root.getConfig("clip");
        List<Double> betas = c.getDoubleList("optim.betas");
        if (betas.size() != 2) {
            throw new BadInputException("config key 'clip.optim.betas' needs two values, got " + betas);
        }
        TrainConfig t = new TrainConfig(
                new Model(choice(c, "model.init", ModelInit.class), c.getString("model.checkpoint"), c.getString("model.vocab"),
                        c.getInt("model.image-size"), c.getInt("model.patch-size"), c.getInt("model.hidden-size"),
                        c.getInt("model.layers"), c.getInt("model.heads"), c.getInt("model.mlp-ratio"),
                        c.getInt("model.projection-dim"), c.getDouble("model.logit-scale-init"),
                        c.getInt("model.max-text-length"), c.getDouble("model.init-std"),
                        new Towers(choice(c, "model.vision", VisionTower.class), choice(c, "model.text", TextTower.class),
                                new ResNet(c.getString("model.resnet.architecture"), c.getString("model.resnet.block"),
                                        c.getIntList("model.resnet.layers"), c.getIntList("model.resnet.planes")),
                                c.getString("model.vision-checkpoint"), c.getString("model.text-checkpoint")),
                        new Heads(choice(c, "model.projection", Projection.class), c.getDouble("model.projection-dropout"),
                                c.getBoolean("model.learn-logit-scale")),
                        choice(c, "model.image-normalisation", ImageNormalisation.class),
                        choice(c, "model.batch-norm", BatchNormSync.class)),
                new Loss(choice(c, "loss.kind", LossKind.class), c.getDouble("loss.siglip-scale-init"),
                        c.getDouble("loss.siglip-bias-init"), c.getBoolean("loss.local")),
                new Data(choice(c, "data.source", DataSource.class), c.getString("data.shards"), c.getString("data.train-split"),
                        c.getString("data.val-split"), c.getInt("data.val-limit"), choice(c, "data.damaged", Damaged.class),
                        new Synthetic(c.getInt("data.synthetic.train-images"), c.getInt("data.synthetic.val-images"),
                                c.getLong("data.synthetic.seed"))),
                new Train(c.getInt("train.steps"), c.getInt("train.batch-size"), c.getLong("train.seed"),
                        c.getInt("train.micro-batches"), TrainMode.parse("clip.train.mode", c.getString("train.mode")),
                        c.getString("train.feature-cache"), c.getDouble("train.grad-clip"),
                        choice(c, "train.schedule", Schedule.class), c.getInt("train.warmup-steps"),
                        c.getInt("train.restarts-t0"), c.getInt("train.restarts-t-mult"), c.getDouble("train.min-lr-ratio"),
                        c.getInt("train.log-every"), c.getInt("train.checkpoint-every"), c.getInt("train.keep-checkpoints"),
                        c.getString("train.checkpoint-dir"), choice(c, "train.resume", Resume.class)),
                new Optim(c.getDouble("optim.lr-image"), c.getDouble("optim.lr-text"), c.getDouble("optim.lr-logit"),
                        c.getDouble("optim.weight-decay-image"), c.getDouble("optim.weight-decay-text"),
                        betas.get(0), betas.get(1), c.getDouble("optim.eps")),
                new Dist(c.getInt("dist.workers"), c.getLong("dist.timeout-ms"), c.getInt("dist.max-restarts"),
                        choice(c, "dist.engine", Engine.class), c.getString("dist.listen-host"), c.getInt("dist.port"),
                        c.getDouble("dist.bucket-mb"), choice(c, "dist.exchange", Exchange.class),
                        c.getBoolean("dist.overlap-gather"), choice(c, "dist.update", Update.class)),
                new Eval(c.getInt("eval.every"), c.getString("eval.metric"), c.getString("eval.templates")),
                new Output(c.getString("output.dir"), Paths.get(c.getString("output.runs"))));
        t.validate();
        return t;
    }

    /** This configuration writing into {@code dir}. */
    public TrainConfig withOutputDir(Path dir) {
        return new TrainConfig(model, loss, data, train, optim, dist, eval, new Output(dir.toString(), output.runs()));
    }

    /** The run folder; {@link RunFolder} chooses one before anything is written. */
    public Path outputDir() {
        if (!output.chosen()) {
            throw new IllegalStateException("no run folder chosen yet (clip.output.dir is blank)");
        }
        return Paths.get(output.dir());
    }

    /** Where checkpoints go: checkpoint-dir (a path or Hadoop URI), or output.dir/checkpoints. */
    public URI checkpointUri() {
        return uriOr(train.checkpointDir(), "checkpoints");
    }

    /** Where projection-only training caches tower features: feature-cache (a path or Hadoop URI), or output.dir/features. */
    public URI featureCacheUri() {
        return uriOr(train.featureCache(), "features");
    }

    private URI uriOr(String configured, String underOutput) {
        if (configured.isBlank()) {
            return outputDir().resolve(underOutput).toAbsolutePath().toUri();
        }
        URI u = URI.create(configured);
        return u.getScheme() == null ? Paths.get(configured).toAbsolutePath().toUri() : u;
    }

    private void validate() {
        if (data.source() == DataSource.SHARDS && data.shards().isBlank()) {
            throw new BadInputException("config key 'clip.data.shards' must name a data-prep output when clip.data.source = shards");
        }
        if (!Metrics.NAMES.contains(eval.metric())) {
            throw new BadInputException("config key 'clip.eval.metric' must be one of " + Metrics.NAMES + ", got '"
                    + eval.metric() + "'");
        }
        if (train.checkpointEvery() < 0 || eval.every() < 0) {
            throw new BadInputException("config keys 'clip.train.checkpoint-every' and 'clip.eval.every' must be >= 0 (0 = off)");
        }
        positive("clip.train.keep-checkpoints", train.keepCheckpoints());
        positive("clip.train.log-every", train.logEvery());
        if (dist.maxRestarts() < 0) {
            throw new BadInputException("config key 'clip.dist.max-restarts' must be >= 0, got " + dist.maxRestarts());
        }
        if (dist.port() < 0 || dist.port() > 65535) {
            throw new BadInputException("config key 'clip.dist.port' must be a TCP port (0 = any free one), got " + dist.port());
        }
        if (model.init() == ModelInit.HF && model.checkpoint().isBlank()) {
            throw new BadInputException("config key 'clip.model.checkpoint' must name an HF folder when clip.model.init = hf");
        }
        if (model.init() == ModelInit.HF && !Files.isDirectory(Paths.get(model.checkpoint()))) {
            throw new BadInputException("config key 'clip.model.checkpoint': no such directory " + model.checkpoint());
        }
        if (model.init() == ModelInit.TOWERS) {
            folder("clip.model.vision-checkpoint", model.towers().visionCheckpoint());
            folder("clip.model.text-checkpoint", model.towers().textCheckpoint());
        }
        double dropout = model.headSpec().dropout();
        if (!(dropout >= 0 && dropout < 1)) {
            throw new BadInputException("config key 'clip.model.projection-dropout' must be in [0, 1), got " + dropout);
        }
        if (dropout > 0 && model.headSpec().projection() != Projection.RESIDUAL) {
            throw new BadInputException("config key 'clip.model.projection-dropout' applies to residual heads only"
                    + " (clip.model.projection = residual), got projection " + keyOf(model.headSpec().projection()));
        }
        if (!model.vocab().isBlank() && !Files.isRegularFile(Paths.get(model.vocab()))) {
            throw new BadInputException("config key 'clip.model.vocab': no such file " + model.vocab());
        }
        positive("clip.train.steps", train.steps());
        positive("clip.train.batch-size", train.batchSize());
        positive("clip.data.synthetic.train-images", data.synthetic().trainImages());
        positive("clip.data.synthetic.val-images", data.synthetic().valImages());
        positive("clip.dist.workers", dist.workers());
        // a tower's pooled vector comes out of its last transformer layer (Encoder.forwardRows)
        positive("clip.model.layers", model.layers());
        positive("clip.model.heads", model.heads());
        if (!(dist.bucketMb() >= 0) || dist.bucketMb() > 2048) {
            throw new BadInputException("config key 'clip.dist.bucket-mb' must be from 0 (no buckets) to 2048, got " + dist.bucketMb());
        }
        if (train.batchSize() % dist.workers() != 0) {
            throw new BadInputException("config key 'clip.train.batch-size' (" + train.batchSize()
                    + ") must be a multiple of clip.dist.workers (" + dist.workers() + ")");
        }
        positive("clip.train.micro-batches", train.microBatches());
        int share = train.batchSize() / dist.workers();
        if (share % train.microBatches() != 0) {
            throw new BadInputException("config key 'clip.train.micro-batches' (" + train.microBatches() + ") must divide each"
                    + " worker's share of the batch (" + share + " = clip.train.batch-size / clip.dist.workers)");
        }
        boolean resnet = model.init() == ModelInit.SCRATCH && model.towers().vision() == VisionTower.RESNET;
        if (!resnet && model.imageSize() % model.patchSize() != 0) {
            throw new BadInputException("config key 'clip.model.image-size' (" + model.imageSize()
                    + ") must be a multiple of clip.model.patch-size (" + model.patchSize() + ")");
        }
        if (model.hiddenSize() % model.heads() != 0) {
            throw new BadInputException("config key 'clip.model.hidden-size' (" + model.hiddenSize()
                    + ") must be a multiple of clip.model.heads (" + model.heads() + ")");
        }
    }

    private static void folder(String key, String dir) {
        if (dir.isBlank()) {
            throw new BadInputException("config key '" + key + "' must name a model folder when clip.model.init = towers");
        }
        if (!Files.isDirectory(Paths.get(dir))) {
            throw new BadInputException("config key '" + key + "': no such directory " + dir);
        }
    }

    /** The enum constant written as its name in lower case with '-' for '_' (FROZEN_TOWERS: frozen-towers). */
    private static <E extends Enum<E>> E choice(Config c, String key, Class<E> type) {
        String value = c.getString(key);
        for (E e : type.getEnumConstants()) {
            if (keyOf(e).equals(value)) {
                return e;
            }
        }
        List<String> allowed = Arrays.stream(type.getEnumConstants()).map(TrainConfig::keyOf).toList();
        throw new BadInputException("config key 'clip." + key + "' must be one of " + allowed + ", got '" + value + "'");
    }

    /** How a choice is written in the configuration. */
    public static String keyOf(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    private static void positive(String key, int value) {
        if (value <= 0) {
            throw new BadInputException("config key '" + key + "' must be positive, got " + value);
        }
    }
}
