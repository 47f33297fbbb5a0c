package clip.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.checkpoint.CheckpointStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/clip train as a child process, killed with SIGKILL at one moment of each kind in the
 * file-system life of a run (found by watching the run folder, not by sleeping): while the best
 * model is replaced, at an append to each log, at each step of a checkpoint's commit (slice
 * written, slice renamed, manifest written, manifest renamed), while an old checkpoint is
 * deleted, and while the final model is written. The kills follow one another on one run folder,
 * each rerun resuming what the last one left; one moment of each kind is sampled, not every
 * occurrence, to keep the suite's time small. After every kill the newest committed checkpoint
 * loads and the rerun resumes from it; the run ends bit for bit where an uninterrupted one ends.
 */
class KilledTrainingIT {
    private static final Path ROOT = Paths.get("").toAbsolutePath().getParent();
    /** Checkpoints at 2, 4, ..., 12, evaluations at 4, 8, 12 (each run's first keeps best/). */
    private static final List<String> RUN = List.of("bin/clip", "train", "tiny", "train.steps=12", "train.checkpoint-every=2",
            "eval.every=4", "train.log-every=12");

    /** A moment to kill at: the first event of the kind in a (re)run. */
    private record KillPoint(String what, Predicate<FileEvents.Event> at) {
    }

    private static final List<KillPoint> KILL_POINTS = List.of(
            new KillPoint("best/ being replaced", e -> e.created() && e.name().equals("best.tmp")),
            new KillPoint("an append to train-log.jsonl", e -> e.modified() && e.name().equals("train-log.jsonl")),
            new KillPoint("an append to eval-log.jsonl", e -> e.modified() && e.name().equals("eval-log.jsonl")),
            new KillPoint("a checkpoint slice written", e -> !e.deleted() && e.name().matches("\\.slice-.*\\.safetensors\\.tmp")),
            new KillPoint("a checkpoint slice renamed into place", e -> e.created() && e.name().matches("slice-.*\\.safetensors")),
            new KillPoint("a checkpoint manifest written", e -> !e.deleted() && e.name().equals(".manifest.json.tmp")),
            new KillPoint("a checkpoint manifest renamed into place (the commit)", e -> e.created() && e.name().equals("manifest.json")),
            new KillPoint("an old checkpoint deleted", e -> e.deleted() && (e.name().equals("manifest.json")
                    || e.name().matches("step-\\d{9}"))),
            new KillPoint("the final model written", e -> e.created() && e.path().toString().contains("model.tmp")));

    @TempDir
    Path tmp;

    @Test
    void aRunKilledAtEveryKindOfFileEventResumesAndEndsBitForBitAsAnUninterruptedRun() throws Exception {
        Path whole = tmp.resolve("whole");
        Process reference = start(whole, tmp.resolve("whole.console"));
        assertTrue(reference.waitFor(3, TimeUnit.MINUTES), "the uninterrupted run hung");
        assertEquals(0, reference.exitValue(), read(tmp.resolve("whole.console")));

        Path run = Files.createDirectories(tmp.resolve("killed"));
        long expectedStart = 0;
        List<String> history = new ArrayList<>();
        for (int i = 0; i <= KILL_POINTS.size(); i++) {
            Path console = tmp.resolve("run" + i + ".console");
            try (FileEvents events = new FileEvents(run)) {
                Process child = start(run, console);
                if (i == KILL_POINTS.size()) {
                    assertTrue(child.waitFor(3, TimeUnit.MINUTES), "the last rerun hung");
                    assertEquals(0, child.exitValue(), read(console));
                } else {
                    KillPoint point = KILL_POINTS.get(i);
                    Optional<FileEvents.Event> seen = events.await(point.at(), child::isAlive, 180);
                    child.destroyForcibly(); // SIGKILL
                    child.waitFor();
                    assertTrue(seen.isPresent(), "run " + i + " ended without " + point.what() + " (after " + history + "): " + read(console));
                    history.add(point.what() + " (" + seen.get() + ")");
                }
            }
            String output = read(console);
            assertTrue(expectedStart == 0 ? !output.contains("resuming at step") : output.contains("resuming at step " + expectedStart + " "),
                    "run " + i + " should resume at step " + expectedStart + " after " + history + ": " + output);
            expectedStart = newestCommittedLoads(run.resolve("checkpoints"));
        }

        assertEquals(-1, Files.mismatch(whole.resolve("model/model.safetensors"), run.resolve("model/model.safetensors")),
                "the killed run's model is the uninterrupted run's, bit for bit, after " + history);
        assertEquals(-1, Files.mismatch(whole.resolve("best/model.safetensors"), run.resolve("best/model.safetensors")), "best/");
        double[] expected = TrainCommandTest.losses(whole.resolve("train-log.jsonl"));
        double[] actual = TrainCommandTest.losses(run.resolve("train-log.jsonl"));
        assertEquals(12, actual.length, "every step logged once");
        for (int s = 0; s < 12; s++) {
            assertEquals(expected[s], actual[s], "step " + (s + 1) + " (exactly)");
        }
        assertEquals(Files.readAllLines(whole.resolve("eval-log.jsonl")), Files.readAllLines(run.resolve("eval-log.jsonl")));
        assertEquals(Files.readString(whole.resolve("metrics.json")), Files.readString(run.resolve("metrics.json")));
        assertEquals(List.of("best", "checkpoints", "config.conf", "eval-log.jsonl", "metrics.json", "model", "train-log.jsonl", "work"),
                TrainCommandTest.children(run), "nothing a kill left behind stays");
    }

    private Process start(Path out, Path console) throws IOException {
        List<String> argv = new ArrayList<>(RUN);
        argv.add("output.dir=" + out);
        return new ProcessBuilder(argv).directory(ROOT.toFile()).redirectErrorStream(true).redirectOutput(console.toFile()).start();
    }

    /** The newest committed checkpoint's step after a fault (0 if none), having checked that it loads whole. */
    static long newestCommittedLoads(Path checkpoints) throws IOException {
        CheckpointStore store = new CheckpointStore(checkpoints.toUri(), new Configuration(), 2);
        List<Long> committed = store.committedSteps();
        if (committed.isEmpty()) {
            return 0;
        }
        long newest = committed.get(committed.size() - 1);
        assertEquals(newest, store.load(newest).step());
        return newest;
    }

    private static String read(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    }
}
