package clip.retrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.cli.Cli;
import clip.cli.GenerateCommand;
import clip.cli.PrepCommand;
import clip.cli.RetrainCommand;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scheduled retraining of a ResNet + DistilBERT model with residual heads and a fixed temperature,
 * the towers and heads chosen in the recipe: the first run trains it from the configuration and
 * promotes it, the next warm-starts from that production folder (full mode: the ResNet's BatchNorm
 * trains) and compares against it.
 */
class MixedTowerRetrainTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path tmp;

    private String retrain(Path registry, Path shards) {
        List<String> argv = new ArrayList<>(List.of("retrain", "--registry", registry.toString(), "tiny", "data.source=shards",
                "data.shards=" + shards, "train.steps=4", "train.warmup-steps=1", "train.log-every=4", "model.vision=resnet",
                "model.text=distilbert", "model.projection=residual", "model.projection-dropout=0.1",
                "model.learn-logit-scale=false", "retrain.scratch=" + tmp.resolve("scratch")));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new Cli().register(new RetrainCommand()).run(argv.toArray(String[]::new),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aResNetAndDistilBertModelIsTrainedPromotedAndWarmStartedFrom() throws Exception {
        Path coco = tmp.resolve("coco");
        Path shards = tmp.resolve("shards");
        assertEquals(0, new Cli().register(new GenerateCommand()).run(new String[] {"generate", "--out", coco.toString(),
                "--train", "32", "--val", "16", "--long-side", "32"}, System.out, System.err));
        assertEquals(0, new Cli().register(new PrepCommand(), "strict").run(new String[] {"prep", "--format", "coco", "--root",
                coco.toString(), "--out", shards.toString(), "--image-size", "16", "--master", "local[1]"}, System.out, System.err));
        Path registry = tmp.resolve("registry");

        String first = retrain(registry, shards);
        assertTrue(first.contains("training from the recipe"), first);
        Path v1 = registry.resolve("versions/v000001");
        JsonNode config = JSON.readTree(v1.resolve("config.json").toFile());
        assertEquals("resnet", config.at("/vision_config/architecture").asText(), config.toString());
        assertEquals("distilbert", config.at("/text_config/model_type").asText());
        assertEquals("residual", config.path("projection").asText());
        assertEquals(false, config.path("learn_logit_scale").asBoolean(true));

        String second = retrain(registry, shards);
        assertTrue(second.contains("training from production v000001"), second);
        try (var runs = Files.list(registry.resolve("runs"))) {
            List<Path> dirs = runs.sorted().toList();
            assertEquals(2, dirs.size(), dirs.toString());
            JsonNode report = JSON.readTree(dirs.get(1).resolve("report.json").toFile());
            assertEquals("v000001", report.path("warm_start").asText(), report.toString());
            assertTrue(List.of("promoted", "rejected").contains(report.path("decision").asText()), report.toString());
            assertTrue(report.at("/production/metrics").isObject(), "production was evaluated: " + report);
        }
    }
}
