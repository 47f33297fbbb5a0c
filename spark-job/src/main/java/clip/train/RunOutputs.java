package clip.train;

import clip.eval.Metrics;
import clip.io.LocalFiles;
import clip.io.WriteFailure;
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
        // Written beside model/ and swapped in whole: a run killed or out of space part way never
        // leaves a model/ that looks complete and is not.
        Path fresh = out.resolve("model.tmp");
        Path tmp = out.resolve("metrics.json.tmp");
        try {
            LocalFiles.deleteTree(fresh);
            HfExport.write(built, config.model().maxTextLength(), fresh);
        } catch (IOException e) {
            throw WriteFailure.naming(fresh, e);
        }
        LocalFiles.replaceTree(fresh, modelDir);
        try {
            metrics.write(tmp);
        } catch (IOException e) {
            throw WriteFailure.naming(tmp, e);
        }
        Files.move(tmp, out.resolve("metrics.json"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        log.printf("validation (%d images, %d captions):%n%s", metrics.images(), metrics.captions(),
                metrics.summary(validation.templates()));
        log.printf("model in %s, metrics in %s%n", modelDir, out.resolve("metrics.json"));
        return metrics;
    }
}
