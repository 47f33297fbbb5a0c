package clip.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
    static ObjectNode write(TrainConfig config, ModelFactory.Built built, Validation validation, PrintStream log)
            throws IOException {
        Path out = config.outputDir();
        ObjectNode metrics = validation.evaluate(config.train().steps());
        Path modelDir = out.resolve("model");
        HfExport.write(built.model(), built.hfConfig(), built.vocab(), modelDir);
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
}
