package clip.train;

import clip.eval.Metrics;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** What rank 0 leaves in the run folder after the last step: the final evaluation, model/ and metrics.json. */
final class RunOutputs {
    private RunOutputs() {
    }

    /** @return the final evaluation's metrics, also written to metrics.json */
    static Metrics write(TrainConfig config, ModelFactory.Built built, Validation validation, PrintStream log)
            throws IOException {
        Path out = config.outputDir();
        Metrics metrics = validation.evaluate(config.train().steps());
        Path modelDir = out.resolve("model");
        HfExport.write(built, config.model().maxTextLength(), modelDir);
        Path tmp = out.resolve("metrics.json.tmp");
        metrics.write(tmp);
        Files.move(tmp, out.resolve("metrics.json"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        log.printf("validation (%d images, %d captions):%n%s", metrics.images(), metrics.captions(),
                metrics.summary(validation.templates()));
        log.printf("model in %s, metrics in %s%n", modelDir, out.resolve("metrics.json"));
        return metrics;
    }
}
