package clip.train;

import clip.loss.ClipLoss;
import clip.loss.ContrastiveLoss;
import clip.loss.SigLipLoss;
import clip.optim.LrSchedule;

import clip.io.BadInputException;
import com.typesafe.config.Config;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;

/** The typed view of the {@code clip} block of the configuration (see reference.conf). */
public record TrainConfig(
        String init, String checkpoint, String vocab, int imageSize, int patchSize, int hiddenSize, int layers,
        int heads, int mlpRatio, int projectionDim, double logitScaleInit, int maxTextLength, double initStd,
        String loss, double siglipScaleInit, double siglipBiasInit, boolean localLoss,
        int trainImages, int valImages, long dataSeed,
        String dataSource, String shards, String trainSplit, String valSplit, int valLimit, String templates,
        int steps, int batchSize, int microBatches, long seed, TrainMode mode, String featureCache, double gradClip, String schedule, int warmupSteps,
        int restartsT0, int restartsTMult, double minLrRatio, int logEvery,
        int checkpointEvery, int keepCheckpoints, String checkpointDir, String resume, int evalEvery, String evalMetric,
        double lrImage, double lrText, double lrLogit, double weightDecayImage, double weightDecayText,
        double beta1, double beta2, double eps,
        int workers, long timeoutMillis, int maxRestarts, String engine, String listenHost, int listenPort,
        Path outputDir) {

    public static TrainConfig from(Config root) {
        Config c = root.getConfig("clip");
        List<Double> betas = c.getDoubleList("optim.betas");
        if (betas.size() != 2) {
            throw new BadInputException("config key 'clip.optim.betas' needs two values, got " + betas);
        }
        TrainConfig t = new TrainConfig(
                c.getString("model.init"), c.getString("model.checkpoint"), c.getString("model.vocab"),
                c.getInt("model.image-size"), c.getInt("model.patch-size"), c.getInt("model.hidden-size"),
                c.getInt("model.layers"), c.getInt("model.heads"), c.getInt("model.mlp-ratio"),
                c.getInt("model.projection-dim"), c.getDouble("model.logit-scale-init"), c.getInt("model.max-text-length"),
                c.getDouble("model.init-std"),
                c.getString("loss.kind"), c.getDouble("loss.siglip-scale-init"), c.getDouble("loss.siglip-bias-init"),
                c.getBoolean("loss.local"),
                c.getInt("data.synthetic.train-images"), c.getInt("data.synthetic.val-images"), c.getLong("data.synthetic.seed"),
                c.getString("data.source"), c.getString("data.shards"), c.getString("data.train-split"),
                c.getString("data.val-split"), c.getInt("data.val-limit"), c.getString("eval.templates"),
                c.getInt("train.steps"), c.getInt("train.batch-size"), c.getInt("train.micro-batches"), c.getLong("train.seed"), TrainMode.parse("clip.train.mode", c.getString("train.mode")),
                c.getString("train.feature-cache"),
                c.getDouble("train.grad-clip"), c.getString("train.schedule"), c.getInt("train.warmup-steps"),
                c.getInt("train.restarts-t0"), c.getInt("train.restarts-t-mult"), c.getDouble("train.min-lr-ratio"),
                c.getInt("train.log-every"),
                c.getInt("train.checkpoint-every"), c.getInt("train.keep-checkpoints"), c.getString("train.checkpoint-dir"),
                c.getString("train.resume"), c.getInt("eval.every"), c.getString("eval.metric"),
                c.getDouble("optim.lr-image"), c.getDouble("optim.lr-text"), c.getDouble("optim.lr-logit"),
                c.getDouble("optim.weight-decay-image"), c.getDouble("optim.weight-decay-text"),
                betas.get(0), betas.get(1), c.getDouble("optim.eps"),
                c.getInt("dist.workers"), c.getLong("dist.timeout-ms"), c.getInt("dist.max-restarts"), c.getString("dist.engine"),
                c.getString("dist.listen-host"), c.getInt("dist.port"),
                Paths.get(c.getString("output.dir")));
        t.validate();
        return t;
    }

    private void validate() {
        oneOf("clip.model.init", init, "scratch", "hf");
        oneOf("clip.loss.kind", loss, "clip", "siglip");
        oneOf("clip.data.source", dataSource, "synthetic", "shards");
        if (dataSource.equals("shards") && shards.isBlank()) {
            throw new BadInputException("config key 'clip.data.shards' must name a data-prep output when clip.data.source = shards");
        }
        oneOf("clip.train.resume", resume, "auto", "never");
        oneOf("clip.eval.metric", evalMetric, Validation.METRICS.toArray(String[]::new));
        if (checkpointEvery < 0 || evalEvery < 0) {
            throw new BadInputException("config keys 'clip.train.checkpoint-every' and 'clip.eval.every' must be >= 0 (0 = off)");
        }
        positive("clip.train.keep-checkpoints", keepCheckpoints);
        if (maxRestarts < 0) {
            throw new BadInputException("config key 'clip.dist.max-restarts' must be >= 0, got " + maxRestarts);
        }
        oneOf("clip.dist.engine", engine, "auto", "threads", "spark");
        if (listenPort < 0 || listenPort > 65535) {
            throw new BadInputException("config key 'clip.dist.port' must be a TCP port (0 = any free one), got " + listenPort);
        }
        oneOf("clip.train.schedule", schedule, "cosine", "restarts", "constant");
        if (init.equals("hf") && checkpoint.isBlank()) {
            throw new BadInputException("config key 'clip.model.checkpoint' must name an HF folder when clip.model.init = hf");
        }
        if (init.equals("hf") && !java.nio.file.Files.isDirectory(Paths.get(checkpoint))) {
            throw new BadInputException("config key 'clip.model.checkpoint': no such directory " + checkpoint);
        }
        if (!vocab.isBlank() && !java.nio.file.Files.isRegularFile(Paths.get(vocab))) {
            throw new BadInputException("config key 'clip.model.vocab': no such file " + vocab);
        }
        positive("clip.train.steps", steps);
        positive("clip.train.batch-size", batchSize);
        positive("clip.data.synthetic.train-images", trainImages);
        positive("clip.data.synthetic.val-images", valImages);
        positive("clip.dist.workers", workers);
        if (batchSize % workers != 0) {
            throw new BadInputException("config key 'clip.train.batch-size' (" + batchSize
                    + ") must be a multiple of clip.dist.workers (" + workers + ")");
        }
        positive("clip.train.micro-batches", microBatches);
        if ((batchSize / workers) % microBatches != 0) {
            throw new BadInputException("config key 'clip.train.micro-batches' (" + microBatches + ") must divide each worker's"
                    + " share of the batch (" + batchSize / workers + " = clip.train.batch-size / clip.dist.workers)");
        }
        if (imageSize % patchSize != 0) {
            throw new BadInputException("config key 'clip.model.image-size' (" + imageSize
                    + ") must be a multiple of clip.model.patch-size (" + patchSize + ")");
        }
        if (hiddenSize % heads != 0) {
            throw new BadInputException("config key 'clip.model.hidden-size' (" + hiddenSize
                    + ") must be a multiple of clip.model.heads (" + heads + ")");
        }
    }

    private static void oneOf(String key, String value, String... allowed) {
        if (!List.of(allowed).contains(value)) {
            throw new BadInputException("config key '" + key + "' must be one of " + List.of(allowed) + ", got '" + value + "'");
        }
    }

    private static void positive(String key, int value) {
        if (value <= 0) {
            throw new BadInputException("config key '" + key + "' must be positive, got " + value);
        }
    }

    /** Where checkpoints go: checkpoint-dir (a path or Hadoop URI), or output.dir/checkpoints. */
    public java.net.URI checkpointUri() {
        return uriOr(checkpointDir, "checkpoints");
    }

    /** Where projection-only training caches tower features: feature-cache (a path or Hadoop URI), or output.dir/features. */
    public java.net.URI featureCacheUri() {
        return uriOr(featureCache, "features");
    }

    private java.net.URI uriOr(String configured, String underOutput) {
        if (configured.isBlank()) {
            return outputDir.resolve(underOutput).toAbsolutePath().toUri();
        }
        java.net.URI u = java.net.URI.create(configured);
        return u.getScheme() == null ? Paths.get(configured).toAbsolutePath().toUri() : u;
    }

    public LrSchedule lrSchedule() {
        return switch (schedule) {
            case "cosine" -> LrSchedule.warmupCosine(warmupSteps, steps, minLrRatio);
            case "restarts" -> LrSchedule.cosineWarmRestarts(restartsT0, restartsTMult, minLrRatio, warmupSteps);
            default -> LrSchedule.constant();
        };
    }

    public ContrastiveLoss contrastiveLoss() {
        return loss.equals("siglip") ? new SigLipLoss() : new ClipLoss();
    }
}
