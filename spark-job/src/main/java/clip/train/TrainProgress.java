package clip.train;

import clip.io.WriteFailure;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.Closeable;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Rank 0's record of the steps: a line of {@value #TRAIN_LOG} per step taken (loss, every
 * parameter group's learning rate, gradient norm, logit scale, exchange times and the seconds
 * since this process started stepping; a resumed run counts from its own start), and a console
 * line every {@code clip.train.log-every} steps with throughput and ETA. Other ranks record nothing.
 */
final class TrainProgress implements Closeable {
    static final String TRAIN_LOG = "train-log.jsonl";
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Writer trainLog;
    private final Path file;
    private final PrintStream console;
    private final TrainConfig config;
    private final long first;
    private final long started = System.nanoTime();

    private TrainProgress(Writer trainLog, Path file, PrintStream console, TrainConfig config, long first) {
        this.trainLog = trainLog;
        this.file = file;
        this.console = console;
        this.config = config;
        this.first = first;
    }

    /** Rank 0's: appends to the run's train-log.jsonl, which holds the steps through {@code first}. */
    static TrainProgress lead(TrainConfig config, long first, PrintStream console) throws IOException {
        Path file = config.outputDir().resolve(TRAIN_LOG);
        return new TrainProgress(Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND), file, console, config, first);
    }

    static TrainProgress none() {
        return new TrainProgress(null, null, null, null, 0);
    }

    void record(StepResult r) throws IOException {
        if (trainLog == null) {
            return;
        }
        if (!r.applied()) {
            console.printf("step %d: non-finite loss %s or gradient norm %s; step skipped%n", r.step(), r.loss(), r.gradNorm());
            return;
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        TrainConfig.Optim lr = config.optim();
        try {
            trainLog.write(JSON.writeValueAsString(JSON.createObjectNode().put("step", r.step()).put("loss", r.loss())
                    .put("lr_image", lr.lrImage() * r.lrFactor()).put("lr_text", lr.lrText() * r.lrFactor())
                    .put("lr_logit", lr.lrLogit() * r.lrFactor()).put("grad_norm", r.gradNorm())
                    .put("gather_s", round(r.gatherSeconds())).put("param_server_s", round(r.serverSeconds()))
                    .put("bucket_wait_s", round(r.bucketWaitSeconds())).put("param_wait_s", round(r.parameterWaitSeconds()))
                    .put("logit_scale", r.logitScale()).put("elapsed_s", round(seconds))) + "\n");
        } catch (IOException e) {
            throw WriteFailure.naming(file, e);
        }
        long steps = config.train().steps();
        if (r.step() % config.train().logEvery() == 0 || r.step() == steps) {
            double perStep = seconds / (r.step() - first);
            console.printf("step %d/%d  loss %.4f  lr %.2e  %.1f samples/s  ETA %s%n", r.step(), steps, r.loss(),
                    lr.lrImage() * r.lrFactor(), config.train().batchSize() / perStep, duration(perStep * (steps - r.step())));
        }
    }

    /** The log must reach at least as far as the checkpoint a resume starts from. */
    void flush() throws IOException {
        if (trainLog != null) {
            try {
                trainLog.flush();
            } catch (IOException e) {
                throw WriteFailure.naming(file, e);
            }
        }
    }

    @Override
    public void close() throws IOException {
        if (trainLog != null) {
            try {
                trainLog.close();
            } catch (IOException e) {
                throw WriteFailure.naming(file, e);
            }
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
