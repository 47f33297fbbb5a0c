package clip.cli;

import clip.plot.JsonLines;
import clip.plot.MetricPoint;
import clip.plot.TrainLogEntry;
import clip.plot.TrainingCurves;
import clip.io.BadInputException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** {@code bin/clip plot}: a run's training curves as PNGs, from the logs the trainer wrote. */
public final class PlotCommand implements Command {
    static final String TRAIN_LOG = "train-log.jsonl";
    static final String EVAL_LOG = "eval-log.jsonl";

    @Override
    public String name() {
        return "plot";
    }

    @Override
    public String summary() {
        return "draw a run's loss, learning-rate, gradient-norm, logit-scale (and evaluation) curves as PNGs";
    }

    @Override
    public String usage() {
        return String.join("\n",
                "usage: bin/clip plot --run DIR [--out DIR]",
                "  --run DIR   a training run's output folder, with " + TRAIN_LOG + " (and " + EVAL_LOG
                        + " if evaluated during training)",
                "  --out DIR   where the PNGs go (default: RUN/plots): loss.png, learning-rate.png, grad-norm.png,",
                "              logit-scale.png, metrics.png");
    }

    @Override
    public int run(Args args, PrintStream out) throws IOException {
        Path run = args.path("run");
        Path outDir = args.has("out") ? args.path("out") : run.resolve("plots");
        args.rejectUnknown();
        if (!Files.isDirectory(run)) {
            throw new BadInputException(run + ": no such run directory");
        }
        Path trainLog = run.resolve(TRAIN_LOG);
        if (!Files.isRegularFile(trainLog)) {
            throw new BadInputException(trainLog + ": no such file (is " + run + " a training run's output folder?)");
        }
        List<TrainLogEntry> log = JsonLines.trainLog(trainLog);
        if (log.isEmpty()) {
            throw new BadInputException(trainLog + ": no steps logged yet");
        }
        Path evalLog = run.resolve(EVAL_LOG);
        List<MetricPoint> metrics = Files.isRegularFile(evalLog) ? JsonLines.metricLog(evalLog) : List.of();
        List<Path> written = new TrainingCurves(900, 500).writeAll(log, metrics, outDir);
        for (Path p : written) {
            out.println("wrote " + p);
        }
        return 0;
    }
}
