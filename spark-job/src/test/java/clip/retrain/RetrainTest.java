package clip.retrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.cli.Cli;
import clip.cli.GenerateCommand;
import clip.cli.PrepCommand;
import clip.cli.RetrainCommand;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/clip retrain end to end on the tiny recipe and prep shards of generated data: promotion,
 * rejection, new shards, a crash at the moment of promotion, a concurrent run, a stale lock.
 */
class RetrainTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path data;
    private static Path shards;

    @TempDir
    Path tmp;
    private String stdout;
    private String stderr;

    @BeforeAll
    static void shards() throws IOException {
        shards = prepShards(data);
    }

    /** 96 generated training images in three shards of 32, 32 validation images in one, under {@code data/shards}. */
    static Path prepShards(Path data) {
        Path coco = data.resolve("coco");
        Path out = data.resolve("shards");
        assertEquals(0, new Cli().register(new GenerateCommand()).run(new String[] {"generate", "--out", coco.toString(),
                "--train", "96", "--val", "32", "--long-side", "32"}, System.out, System.err));
        assertEquals(0, new Cli().register(new PrepCommand(), "strict").run(new String[] {"prep", "--format", "coco", "--root",
                coco.toString(), "--out", out.toString(), "--image-size", "16", "--images-per-shard", "32", "--master", "local[2]"},
                System.out, System.err));
        return out;
    }

    /** The prep output as it was before its last training shard was added: that shard's file and manifest entry removed. */
    private static Path withoutLastTrainShard(Path out) throws IOException {
        copyTree(shards, out);
        Files.delete(out.resolve("train/part-00002.parquet"));
        Files.deleteIfExists(out.resolve(".manifest.json.crc")); // Hadoop's checksum of the manifest before the edit
        ObjectNode manifest = (ObjectNode) JSON.readTree(out.resolve("manifest.json").toFile());
        ArrayNode kept = JSON.createArrayNode();
        manifest.withArray("shards").forEach(s -> {
            if (!s.path("path").asText().equals("train/part-00002.parquet")) {
                kept.add(s);
            }
        });
        manifest.set("shards", kept);
        JSON.writeValue(out.resolve("manifest.json").toFile(), manifest);
        return out;
    }

    private int retrain(String registry, String... overrides) {
        return retrain(new Cli().register(new RetrainCommand()), registry, overrides);
    }

    private int retrain(Cli cli, String registry, String... overrides) {
        // The test's own overrides last: of two values of one key on the command line, the later one counts.
        List<String> argv = new ArrayList<>(List.of("retrain", "--registry", registry, "tiny"));
        argv.addAll(List.of("data.source=shards", "data.shards=" + shards, "train.steps=6", "train.warmup-steps=2", "train.log-every=6",
                "retrain.scratch=" + tmp.resolve("scratch")));
        argv.addAll(List.of(overrides));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = cli.run(argv.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        stdout = out.toString(StandardCharsets.UTF_8);
        stderr = err.toString(StandardCharsets.UTF_8);
        return code;
    }

    @Test
    void theFirstRunIsPromotedAndAWorseCandidateOnMoreShardsLeavesProductionAsItWas() throws Exception {
        Path registry = tmp.resolve("registry");
        Path earlier = withoutLastTrainShard(tmp.resolve("earlier"));
        // Validation on the full prep output's split, which the second run's data.shards has by default.
        assertEquals(0, retrain(registry.toString(), "data.shards=" + earlier, "retrain.val-data=" + shards), stderr);
        assertTrue(stdout.contains("training from the recipe (the registry has no production model)"), stdout);
        assertEquals("v000001", production(registry));
        Path v1 = registry.resolve("versions/v000001");
        for (String f : List.of("config.json", "model.safetensors", "vocab.txt", "preprocessor_config.json", "metrics.json", "report.json")) {
            assertTrue(Files.isRegularFile(v1.resolve(f)), f);
        }
        JsonNode first = reports(registry, 1).get(0);
        assertEquals("promoted", first.path("decision").asText(), first.toString());
        assertEquals("v000001", first.path("version").asText());
        assertTrue(first.path("warm_start").isNull() && first.path("production").isNull(), first.toString());
        assertEquals(List.of("train/part-00000.parquet", "train/part-00001.parquet"), paths(first.at("/data/new_shards")));
        assertEquals(first.at("/candidate/metrics"), JSON.readTree(v1.resolve("metrics.json").toFile()));
        assertEquals(first, JSON.readTree(v1.resolve("report.json").toFile()));
        Map<String, String> v1Files = withoutRuns(digests(registry));

        // prep has added a shard since: the second run trains on all three
        assertEquals(0, retrain(registry.toString(), "retrain.margin=1000"), stderr);
        assertTrue(stdout.contains("training from production v000001") && stdout.contains("data: 96 training images"), stdout);
        JsonNode second = reports(registry, 2).get(1);
        assertEquals("rejected", second.path("decision").asText(), second.toString());
        assertTrue(second.path("reason").asText().contains("+ margin 1000.00"), second.toString());
        assertEquals("v000001", second.path("warm_start").asText());
        assertTrue(firstLoss(registry, second) < firstLoss(registry, first), "the second run started from the first one's model");
        // Production is evaluated on the split the first run evaluated its candidate on: the same numbers.
        assertEquals(first.path("validation"), second.path("validation"));
        assertEquals(first.at("/candidate/metrics"), second.at("/production/metrics"));
        assertEquals(first.path("run").asText(), second.at("/data/previous_run").asText());
        assertEquals(3, second.at("/data/shards").size());
        assertEquals(List.of("train/part-00002.parquet"), paths(second.at("/data/new_shards")));
        assertEquals(0, second.at("/data/dropped_shards").size());
        assertEquals("v000001", production(registry));
        assertEquals(v1Files, withoutRuns(digests(registry)), "the registry's models are unchanged");
        assertFalse(Files.exists(registry.resolve("LOCK")) || Files.exists(registry.resolve("_tmp")));
        try (Stream<Path> left = Files.list(tmp.resolve("scratch"))) {
            assertEquals(0, left.count(), "scratch folders are deleted");
        }

        assertEquals(0, retrain(registry.toString(), "retrain.require-new-data=true"), stderr);
        JsonNode third = reports(registry, 3).get(2);
        assertEquals("skipped", third.path("decision").asText(), third.toString());
        assertFalse(stdout.contains("step 6/6"), "a skipped run trains nothing: " + stdout);
    }

    @Test
    void aCrashAtTheMomentOfPromotionLeavesProductionAndARerunRecoversFromItAndItsStaleLock() throws Exception {
        Path registry = tmp.resolve("registry");
        assertEquals(0, retrain(registry.toString()), stderr);
        Map<String, String> before = digests(registry);

        Cli crashing = new Cli().register(new RetrainCommand(CrashingFileSystem.conf(".*/production")));
        assertEquals(1, retrain(crashing, "crashing://" + registry, "retrain.margin=-1000"), stdout);
        assertTrue(stderr.contains("injected crash"), stderr);
        assertEquals("v000001", production(registry));
        Map<String, String> after = digests(registry);
        after.keySet().removeIf(f -> f.startsWith("versions/v000002/") || f.startsWith("_tmp/"));
        assertEquals(before, after, "production and the recorded runs are as they were; only uploads were left");

        // A killed run would also have left its lock and its scratch folder behind; another registry's stays.
        Files.writeString(registry.resolve("LOCK"), JSON.createObjectNode().put("run", "killed").put("host", RegistryLock.thisHost())
                .put("pid", deadPid()).put("started", "2020-01-01T00:00:00Z").toString());
        String prefix;
        try (ModelRegistry r = new ModelRegistry(registry.toString(), new Configuration())) {
            prefix = Retrainer.scratchPrefix(r.root());
        }
        Path killedScratch = Files.createDirectories(tmp.resolve("scratch").resolve(prefix + "killed").resolve("run/checkpoints"));
        Path otherRegistrys = Files.createDirectories(tmp.resolve("scratch").resolve(
                Retrainer.scratchPrefix(new org.apache.hadoop.fs.Path("file:/elsewhere/registry")) + "live"));
        assertEquals(0, retrain(registry.toString(), "retrain.margin=-1000", "retrain.keep=1"), stderr);
        assertTrue(stdout.contains("taking over the stale lock of run killed") && stdout.contains("removed v000002"), stdout);
        assertFalse(Files.exists(killedScratch.getParent().getParent()), "the killed run's scratch folder is removed");
        assertTrue(stdout.contains("the scratch folder of a run that was killed"), stdout);
        assertEquals(List.of(otherRegistrys.getFileName().toString()), list(tmp.resolve("scratch")));
        assertEquals("v000002", production(registry));
        assertEquals(List.of("v000002"), list(registry.resolve("versions")), "keep = 1: only production is left");
        assertEquals("promoted", reports(registry, 2).get(1).path("decision").asText());
        assertFalse(Files.exists(registry.resolve("_tmp")) || Files.exists(registry.resolve("LOCK")));
    }

    @Test
    void aCrashAfterTheSwitchIsFinishedByTheNextRun() throws Exception {
        Path registry = tmp.resolve("registry");
        Cli crashing = new Cli().register(new RetrainCommand(CrashingFileSystem.conf(".*/runs/[^/]+")));
        assertEquals(1, retrain(crashing, "crashing://" + registry), stdout);
        assertEquals("v000001", production(registry), "the promotion happened before the crash");
        assertEquals(List.of(), list(registry.resolve("runs")));
        // The recovered report records the first run's shards, so with no new ones the rerun stops there.
        assertEquals(0, retrain(registry.toString(), "retrain.require-new-data=true"), stderr);
        assertTrue(stdout.contains("died before recording the run"), stdout);
        List<JsonNode> reports = reports(registry, 2);
        assertEquals("promoted", reports.get(0).path("decision").asText());
        assertEquals("skipped", reports.get(1).path("decision").asText());
    }

    @Test
    void aSecondRunWhileOneIsActiveExitsWithOneLineAndCode3() throws Exception {
        Path registry = tmp.resolve("registry");
        try (ModelRegistry r = new ModelRegistry(registry.toString(), new Configuration());
             RegistryLock held = r.lock("active-run", java.time.Duration.ofHours(1), System.out)) {
            assertEquals(RetrainCommand.LOCKED, retrain(registry.toString()));
            assertEquals(1, stdout.strip().lines().count(), stdout);
            assertTrue(stdout.startsWith("retrain: not started: ") && stdout.contains("held by run active-run"), stdout);
            assertFalse(Files.exists(registry.resolve("runs")) || Files.exists(registry.resolve("production")));
        }
        assertFalse(Files.exists(registry.resolve("LOCK")), "the holder's close releases it");
    }

    @Test
    void mistakesStopBeforeTheLockIsTaken() {
        Path registry = tmp.resolve("registry");
        assertEquals(2, retrain(registry.toString(), "retrain.metric=R@1"));
        assertTrue(stderr.contains("clip.retrain.metric"), stderr);
        assertEquals(2, retrain(registry.toString(), "data.source=synthetic"));
        assertTrue(stderr.contains("data-prep shards"), stderr);
        assertEquals(2, retrain(registry.toString(), "retrain.val-data=" + tmp.resolve("absent")));
        assertTrue(stderr.contains("absent"), stderr);
        assertEquals(2, retrain(registry.toString(), "retrain.lock-timeout=soon"));
        assertTrue(stderr.contains("clip.retrain.lock-timeout"), stderr);
        assertFalse(Files.exists(registry), "nothing was created");
    }

    static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        return p.pid();
    }

    private static String production(Path registry) throws IOException {
        return Files.readString(registry.resolve("production")).strip();
    }

    /** Every run's report, oldest first; asserts how many there are. */
    private static List<JsonNode> reports(Path registry, int runs) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(registry.resolve("runs"))) {
            for (Path d : dirs.sorted().toList()) {
                out.add(JSON.readTree(d.resolve("report.json").toFile()));
            }
        }
        assertEquals(runs, out.size(), out.toString());
        return out;
    }

    /** The loss of a run's first step (every run draws the same first batch). */
    private static double firstLoss(Path registry, JsonNode report) throws IOException {
        String line = Files.readAllLines(registry.resolve("runs").resolve(report.path("run").asText()).resolve("train-log.jsonl")).get(0);
        return JSON.readTree(line).path("loss").asDouble();
    }

    private static List<String> list(Path dir) throws IOException {
        try (Stream<Path> children = Files.list(dir)) {
            return children.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static List<String> paths(JsonNode shards) {
        List<String> out = new ArrayList<>();
        shards.forEach(s -> out.add(s.path("path").asText()));
        return out;
    }

    /** SHA-256 of every file under the registry, by relative path. */
    static Map<String, String> digests(Path registry) throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> files = Files.walk(registry)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                out.put(registry.relativize(f).toString(),
                        HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f))));
            }
        }
        return out;
    }

    private static Map<String, String> withoutRuns(Map<String, String> digests) {
        digests.keySet().removeIf(f -> f.startsWith("runs/"));
        return digests;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : files.toList()) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target);
                }
            }
        }
    }
}
