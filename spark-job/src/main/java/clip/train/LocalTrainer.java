package clip.train;

import clip.data.ImagePreprocessor;
import clip.data.SyntheticShapes;
import clip.dist.Collective;
import clip.dist.DataParallelGradient;
import clip.dist.InProcessGroup;
import clip.dist.ShardedOptimizer;
import clip.model.ContrastiveModel;
import clip.model.Parameter;
import clip.model.StepMemory;
import clip.model.TextBatch;
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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Trains on this machine with {@code clip.dist.workers} data-parallel workers (threads with
 * their own model replicas, exchanging through {@link InProcessGroup}): config -> data -> model
 * -> global-batch loss -> sharded AdamW -> model folder and metrics. Rank 0 prints loss,
 * learning rate, throughput and ETA, evaluates, and exports. A step whose loss or gradient is
 * not finite is skipped (every worker sees the same global values); three in a row stop the job.
 */
public final class LocalTrainer {
    private static final int MAX_BAD_STEPS = 3;
    private final TrainConfig config;
    private final PrintStream log;

    public LocalTrainer(TrainConfig config, PrintStream log) {
        this.config = config;
        this.log = log;
    }

    /** Runs the whole job; returns the evaluation metrics that were also written to metrics.json. */
    public ObjectNode run() throws IOException, InterruptedException {
        Files.createDirectories(config.outputDir());
        InProcessGroup group = new InProcessGroup(config.workers(), config.timeoutMillis());
        ExecutorService pool = Executors.newFixedThreadPool(config.workers());
        try {
            List<Future<ObjectNode>> workers = new ArrayList<>();
            for (int rank = 0; rank < config.workers(); rank++) {
                Collective member = group.member(rank);
                workers.add(pool.submit(() -> worker(member)));
            }
            ObjectNode metrics = null;
            for (Future<ObjectNode> w : workers) {
                ObjectNode m = get(w);
                metrics = metrics == null ? m : metrics;
            }
            return metrics;
        } finally {
            pool.shutdownNow();
        }
    }

    private static ObjectNode get(Future<ObjectNode> f) throws IOException, InterruptedException {
        try {
            return f.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(cause);
        }
    }

    private ObjectNode worker(Collective group) throws IOException {
        boolean lead = group.rank() == 0;
        Path out = config.outputDir();
        ModelFactory.Built built = ModelFactory.build(config, out.resolve("work"));
        ContrastiveModel model = built.model();
        BertTokenizer tokenizer = BertTokenizer.fromVocab(built.vocab());
        int imageSize = built.hfConfig().path("vision_config").path("image_size").asInt(config.imageSize());
        ImagePreprocessor pre = new ImagePreprocessor(imageSize, ImagePreprocessor.HALF, ImagePreprocessor.HALF);
        ShapeBatches train = new ShapeBatches(SyntheticShapes.scenes(config.trainImages(), config.dataSeed()), pre,
                tokenizer, config.maxTextLength(), config.seed());
        if (config.mode().equals("frozen-towers")) {
            model.setTowersTrainable(false);
        }
        if (lead) {
            log.printf("model: %,d parameters (%,d trainable); data: %d train / %d validation images (generated);"
                            + " %d worker(s)%n", model.parameterCount(),
                    model.parameters().stream().filter(Parameter::trainable).mapToLong(Parameter::size).sum(),
                    train.size(), config.valImages(), group.size());
        }
        ShardedOptimizer optimizer = new ShardedOptimizer(model.namedParameters(),
                new ParameterGroups(config.lrImage(), config.lrText(), config.lrLogit(), config.weightDecayImage(),
                        config.weightDecayText()),
                new AdamW(config.beta1(), config.beta2(), config.eps()), group, config.gradClip());
        LrSchedule schedule = config.lrSchedule();
        ContrastiveLoss loss = config.contrastiveLoss();
        ObjectMapper json = new ObjectMapper();
        int local = config.batchSize() / group.size();
        long started = System.nanoTime();
        int badInARow = 0;
        try (Writer trainLog = lead ? Files.newBufferedWriter(out.resolve("train-log.jsonl"), StandardCharsets.UTF_8) : null) {
            for (int step = 0; step < config.steps(); step++) {
                ShapeBatches.Batch batch = train.batch(step, config.batchSize());
                long from = (long) group.rank() * local;
                double lossValue;
                double norm;
                try (var ws = StepMemory.open()) {
                    model.zeroGrad();
                    lossValue = DataParallelGradient.accumulate(model, loss, rows(batch.pixels(), from, local),
                            rows(batch.text(), from, local), group).loss();
                    norm = Double.isFinite(lossValue) ? optimizer.step(schedule.factor(step)) : Double.NaN;
                    if (Double.isFinite(norm)) {
                        clampLogitScale(model);
                    }
                }
                if (!Double.isFinite(lossValue) || !Double.isFinite(norm)) {
                    badInARow++;
                    if (lead) {
                        log.printf("step %d: non-finite loss %s or gradient norm %s; step skipped%n", step + 1, lossValue, norm);
                    }
                    if (badInARow >= MAX_BAD_STEPS) {
                        throw new IllegalStateException(MAX_BAD_STEPS + " non-finite steps in a row at step " + (step + 1)
                                + ": lower the learning rates or enable clip.train.grad-clip");
                    }
                    continue;
                }
                badInARow = 0;
                if (lead) {
                    double lr = config.lrImage() * schedule.factor(step);
                    trainLog.write(json.writeValueAsString(json.createObjectNode().put("step", step + 1).put("loss", lossValue)
                            .put("lr_image", lr).put("grad_norm", norm)
                            .put("logit_scale", model.logitScale().value().getDouble(0))) + "\n");
                    if ((step + 1) % config.logEvery() == 0 || step + 1 == config.steps()) {
                        double perStep = (System.nanoTime() - started) / 1e9 / (step + 1);
                        log.printf("step %d/%d  loss %.4f  lr %.2e  %.1f samples/s  ETA %s%n", step + 1, config.steps(),
                                lossValue, lr, config.batchSize() / perStep, duration(perStep * (config.steps() - step - 1)));
                    }
                }
            }
        }
        return lead ? finish(model, built, tokenizer, pre) : null;
    }

    private ObjectNode finish(ContrastiveModel model, ModelFactory.Built built, BertTokenizer tokenizer,
                              ImagePreprocessor pre) throws IOException {
        Path out = config.outputDir();
        ShapeBatches val = new ShapeBatches(SyntheticShapes.scenes(config.valImages(), config.dataSeed() + 1), pre,
                tokenizer, config.maxTextLength(), config.seed());
        ObjectNode metrics = Evaluation.evaluate(model, val, SyntheticShapes.categories());
        Path modelDir = out.resolve("model");
        HfExport.write(model, built.hfConfig(), built.vocab(), modelDir);
        Path tmp = out.resolve("metrics.json.tmp");
        new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), metrics);
        Files.move(tmp, out.resolve("metrics.json"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        log.printf("validation (%d images, %d captions): image->text R@1 %.1f R@5 %.1f | text->image R@1 %.1f R@5 %.1f"
                        + " | zero-shot top-1 %.1f%% over %d classes%n",
                metrics.path("images").asInt(), metrics.path("captions").asInt(),
                metrics.path("image_to_text").path("R@1").asDouble(), metrics.path("image_to_text").path("R@5").asDouble(),
                metrics.path("text_to_image").path("R@1").asDouble(), metrics.path("text_to_image").path("R@5").asDouble(),
                metrics.path("zero_shot").path("top1").asDouble(), metrics.path("zero_shot").path("classes").asInt());
        log.printf("chance: R@1 %.1f (image->text, 5 captions each) / %.1f (text->image); model in %s, metrics in %s%n",
                100.0 * 5 / (5.0 * val.size()), 100.0 / val.size(), modelDir, out.resolve("metrics.json"));
        return metrics;
    }

    private static INDArray rows(INDArray a, long from, long count) {
        if (from == 0 && count == a.size(0)) {
            return a;
        }
        INDArray view = a.rank() == 4
                ? a.get(NDArrayIndex.interval(from, from + count), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all())
                : a.get(NDArrayIndex.interval(from, from + count), NDArrayIndex.all());
        return view.dup('c');
    }

    private static TextBatch rows(TextBatch t, long from, long count) {
        return new TextBatch(rows(t.inputIds(), from, count), rows(t.attentionMask(), from, count),
                t.tokenTypeIds() == null ? null : rows(t.tokenTypeIds(), from, count));
    }

    /** OpenCLIP keeps exp(logit_scale) within [1, 100] after every step. */
    private static void clampLogitScale(ContrastiveModel model) {
        double v = model.logitScale().value().getDouble(0);
        if (v < 0 || v > ClipLoss.MAX_LOGIT_SCALE) {
            model.logitScale().value().assign(Math.max(0, Math.min(ClipLoss.MAX_LOGIT_SCALE, v)));
        }
    }

    private static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 60 ? (s / 60) + "m" + String.format("%02d", s % 60) + "s" : s + "s";
    }
}
