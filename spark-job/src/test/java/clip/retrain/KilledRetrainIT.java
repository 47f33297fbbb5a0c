package clip.retrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.cli.RetrainCommand;
import clip.io.SafeTensors;
import clip.train.FileEvents;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/clip retrain as a child process, killed with SIGKILL at each of its stages (found by watching
 * the registry and the scratch folder): training, evaluation, the upload of the candidate, its
 * rename into versions/, the new production pointer written and renamed into place (the moment of
 * promotion), the run's report recorded, an old version deleted. Each rerun repairs what the last
 * one left. After every kill the registry is whole: production names a complete version, every
 * version in place is complete. A second run started while one is active is refused with one
 * line and exit code 3, and changes nothing.
 */
class KilledRetrainIT {
    private static final Path ROOT = Paths.get("").toAbsolutePath().getParent();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> VERSION_FILES = List.of("config.json", "model.safetensors", "vocab.txt",
            "preprocessor_config.json", "metrics.json", "report.json");

    @TempDir
    Path tmp;
    private Path registry;
    private Path scratch;

    private record KillPoint(String what, Predicate<FileEvents.Event> at) {
    }

    private List<KillPoint> killPoints() {
        Path uploads = registry.resolve("_tmp");
        return List.of(
                new KillPoint("training", e -> e.created() && e.name().equals("train-log.jsonl")
                        && e.path().getParent().getFileName().toString().equals("train") && e.path().startsWith(scratch)),
                new KillPoint("evaluation", e -> e.created() && e.name().equals("train-log.jsonl") && e.path().getParent().getFileName()
                        .toString().equals("run") && e.path().startsWith(scratch)),
                new KillPoint("the candidate's upload", e -> e.created() && e.path().startsWith(uploads) && e.name().equals("version")),
                new KillPoint("the candidate renamed into versions/", e -> e.created() && e.path().getParent().equals(registry.resolve("versions"))),
                new KillPoint("the new production pointer written", e -> e.created() && e.name().equals("production") && e.path().startsWith(uploads)),
                new KillPoint("the production pointer renamed into place", e -> e.created() && e.path().equals(registry.resolve("production"))),
                new KillPoint("a run's report recorded", e -> e.created() && e.path().getParent().equals(registry.resolve("runs"))),
                new KillPoint("an old version deleted", e -> e.deleted() && e.path().startsWith(registry.resolve("versions"))));
    }

    private List<String> retrain(Path shards) {
        return List.of("bin/clip", "retrain", "--registry", registry.toString(), "tiny", "data.source=shards", "data.shards=" + shards,
                "train.steps=6", "train.warmup-steps=2", "train.log-every=6", "retrain.scratch=" + scratch, "retrain.margin=-1000",
                "retrain.keep=1");
    }

    private Process start(List<String> command, Path console) throws IOException {
        return new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true).redirectOutput(console.toFile()).start();
    }

    @Test
    void aRetrainingKilledAtEveryStageLeavesTheRegistryWholeAndTheRerunCompletesAndASecondRunIsRefused() throws Exception {
        Path shards = RetrainTest.prepShards(tmp.resolve("data"));
        Path world = Files.createDirectories(tmp.resolve("world"));
        registry = world.resolve("registry");
        scratch = Files.createDirectories(world.resolve("scratch"));
        List<KillPoint> points = killPoints();
        List<String> history = new ArrayList<>();
        for (int i = 0; i <= points.size(); i++) {
            Path console = tmp.resolve("run" + i + ".console");
            try (FileEvents events = new FileEvents(world)) {
                Process child = start(retrain(shards), console);
                if (i == points.size()) {
                    assertTrue(child.waitFor(5, TimeUnit.MINUTES), "the last rerun hung");
                    assertEquals(0, child.exitValue(), read(console));
                } else {
                    Optional<FileEvents.Event> seen = events.await(points.get(i).at(), child::isAlive, 300);
                    if (i == 0 && seen.isPresent()) {
                        // held still (SIGSTOP) while a second run tries its luck, so the registry can only change by the second
                        assertEquals(0, new ProcessBuilder("kill", "-STOP", Long.toString(child.pid())).start().waitFor());
                        aSecondRunIsRefused(shards);
                    }
                    child.destroyForcibly(); // SIGKILL
                    child.waitFor();
                    assertTrue(seen.isPresent(), "run " + i + " ended without " + points.get(i).what() + " (after " + history + "): "
                            + read(console));
                    history.add(points.get(i).what() + " (" + seen.get() + ")");
                }
            }
            assertWhole("after " + history);
        }
        String production = Files.readString(registry.resolve("production")).strip();
        assertEquals(List.of(production), list(registry.resolve("versions")), "retrain.keep = 1: production alone is kept");
        assertFalse(Files.exists(registry.resolve("_tmp")) || Files.exists(registry.resolve("LOCK")), "nothing of a killed run is left");
        assertEquals(List.of(), list(scratch), "every killed run's scratch folder is removed");
        JsonNode report = JSON.readTree(registry.resolve("versions").resolve(production).resolve("report.json").toFile());
        assertTrue(Files.isRegularFile(registry.resolve("runs").resolve(report.path("run").asText()).resolve("report.json")),
                "production's run is recorded");
        for (String run : list(registry.resolve("runs"))) {
            JsonNode r = JSON.readTree(registry.resolve("runs").resolve(run).resolve("report.json").toFile());
            assertEquals("promoted", r.path("decision").asText(), r.toString());
        }
    }

    /** While the first run trains: a second exits 3 with one line naming the holder, and the registry is as it was. */
    private void aSecondRunIsRefused(Path shards) throws Exception {
        Map<String, String> before = RetrainTest.digests(registry);
        Path console = tmp.resolve("second.out");
        Process second = new ProcessBuilder(retrain(shards)).directory(ROOT.toFile()).redirectOutput(console.toFile())
                .redirectError(tmp.resolve("second.err").toFile()).start();
        assertTrue(second.waitFor(2, TimeUnit.MINUTES), "the second run hung");
        String out = read(console);
        assertEquals(RetrainCommand.LOCKED, second.exitValue(), out + read(tmp.resolve("second.err")));
        assertEquals(1, out.strip().lines().count(), out);
        assertTrue(out.startsWith("retrain: not started: ") && out.contains(registry.resolve("LOCK") + " is held by run "), out);
        assertEquals(before, RetrainTest.digests(registry), "the refused run changed nothing");
    }

    /** Production, when there is one, names a complete version; every version in place is complete. */
    private void assertWhole(String when) throws IOException {
        List<String> versions = list(registry.resolve("versions"));
        Path pointer = registry.resolve("production");
        if (Files.exists(pointer)) {
            String production = Files.readString(pointer).strip();
            assertTrue(versions.contains(production), "production names " + production + ", versions are " + versions + ", " + when);
        }
        for (String v : versions) {
            Path dir = registry.resolve("versions").resolve(v);
            for (String f : VERSION_FILES) {
                assertTrue(Files.isRegularFile(dir.resolve(f)), v + " lacks " + f + ", " + when);
            }
            assertFalse(SafeTensors.read(dir.resolve("model.safetensors")).isEmpty(), v);
            assertEquals(v, JSON.readTree(dir.resolve("report.json").toFile()).path("version").asText(), when);
        }
    }

    private static List<String> list(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> children = Files.list(dir)) {
            return children.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static String read(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    }
}
