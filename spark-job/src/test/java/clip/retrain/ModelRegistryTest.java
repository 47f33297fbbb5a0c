package clip.retrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.io.BadInputException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The registry's layout, promotion, pruning and repair, with small stand-in model folders. */
class ModelRegistryTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;
    private final ByteArrayOutputStream logged = new ByteArrayOutputStream();
    private final PrintStream log = new PrintStream(logged, true, StandardCharsets.UTF_8);

    /** What a run uploads: a model folder with its report, and the run's own folder. */
    static void promoteAndRecord(ModelRegistry registry, Path scratch, String version, String run) throws IOException {
        Path model = Files.createDirectories(scratch.resolve(run).resolve("model"));
        Files.writeString(model.resolve("model.safetensors"), "weights of " + version);
        String report = JSON.createObjectNode().put("run", run).put("decision", "promoted").put("version", version).toString();
        Files.writeString(model.resolve("report.json"), report);
        registry.promote(model, version, run);
        Path runDir = Files.createDirectories(scratch.resolve(run).resolve("run"));
        Files.writeString(runDir.resolve("report.json"), report);
        registry.recordRun(runDir, run);
    }

    @Test
    void promotionsSwitchProductionAndPruningKeepsTheNewestAndProduction() throws Exception {
        Path root = tmp.resolve("model registry");
        try (ModelRegistry registry = new ModelRegistry(root.toString(), new Configuration())) {
            assertEquals(Optional.empty(), registry.production());
            assertEquals("v000001", registry.nextVersion());
            for (int i = 1; i <= 4; i++) {
                promoteAndRecord(registry, tmp.resolve("scratch"), registry.nextVersion(), "run" + i);
            }
            assertEquals(Optional.of("v000004"), registry.production());
            assertEquals("weights of v000004", Files.readString(root.resolve("versions/v000004/model.safetensors")));
            assertEquals("run4", registry.latestRun().orElseThrow().path("run").asText());
            assertEquals(List.of("production", "runs", "versions"), names(root), "no checksum side files, no leftovers");

            Files.writeString(root.resolve("production"), "v000001\n"); // an operator rolls back
            registry.recover(log);
            assertEquals(List.of("v000001", "v000002", "v000003", "v000004"), registry.versions(), "promoted versions are never repaired away");
            assertEquals(List.of("v000002"), registry.prune(2));
            assertEquals(List.of("v000001", "v000003", "v000004"), registry.versions());
            assertEquals("v000005", registry.nextVersion());
        }
    }

    @Test
    void repairUndoesAnUnfinishedPromotionAndFinishesAFinishedOne() throws Exception {
        Path root = tmp.resolve("registry");
        try (ModelRegistry registry = new ModelRegistry(root.toString(), new Configuration())) {
            promoteAndRecord(registry, tmp.resolve("scratch"), "v000001", "run1");
            // run2 renamed its version into place and died before switching production;
            // run3 switched production and died before recording itself; v000009 was put there by hand.
            for (String[] v : List.of(new String[] {"v000002", "run2"}, new String[] {"v000003", "run3"})) {
                Path dir = Files.createDirectories(root.resolve("versions").resolve(v[0]));
                Files.writeString(dir.resolve("report.json"), JSON.createObjectNode().put("run", v[1]).toString());
            }
            Files.createDirectories(root.resolve("versions/v000009"));
            Files.writeString(root.resolve("production"), "v000003\n");
            Files.createDirectories(root.resolve("_tmp/run2/version"));

            registry.recover(log);
            assertEquals(List.of("v000001", "v000003", "v000009"), registry.versions());
            assertEquals(List.of("run1", "run3"), names(root.resolve("runs")));
            assertEquals("run3", JSON.readTree(root.resolve("runs/run3/report.json").toFile()).path("run").asText());
            assertFalse(Files.exists(root.resolve("_tmp")));
            String said = logged.toString(StandardCharsets.UTF_8);
            assertTrue(said.contains("removed v000002") && said.contains("run run3 promoted v000003"), said);
        }
    }

    @Test
    void aPointerThatNamesNoVersionIsAOneLineError() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("registry"));
        try (ModelRegistry registry = new ModelRegistry(root.toString(), new Configuration())) {
            Files.writeString(root.resolve("production"), "latest\n");
            assertTrue(assertThrows(BadInputException.class, registry::production).getMessage().contains("not 'latest'"));
            Files.writeString(root.resolve("production"), "v000007\n");
            assertTrue(assertThrows(BadInputException.class, registry::production).getMessage().contains("v000007 does not exist"));
        }
    }

    private static List<String> names(Path dir) throws IOException {
        try (var children = Files.list(dir)) {
            return children.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
