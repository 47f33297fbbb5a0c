package clip.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.cli.Cli;
import clip.cli.ExportCommand;
import clip.cli.TrainCommand;
import clip.io.LocalFiles;
import clip.io.SafeTensors;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Checkpoints as a run meets them after faults, on the tiny recipe: every mode exports and
 * resumes (with another number of workers too), a damaged newest checkpoint or a half-written
 * log line does not stop a resume, a diverged run keeps its last good checkpoint and names it,
 * and a run folder exports its own checkpoints wherever it was moved.
 */
class CheckpointRecoveryTest {
    private static final String[] TINY = {"tiny", "train.steps=6", "train.checkpoint-every=2"};

    @TempDir
    Path tmp;

    private String stdout;
    private String stderr;

    private int run(clip.cli.Command command, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String[] argv = new String[args.length + 1];
        argv[0] = command.name();
        System.arraycopy(args, 0, argv, 1, args.length);
        int code = new Cli().register(command).run(argv, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        stdout = out.toString(StandardCharsets.UTF_8);
        stderr = err.toString(StandardCharsets.UTF_8);
        return code;
    }

    private int train(Path run, String... settings) {
        List<String> args = new ArrayList<>(List.of(TINY));
        args.addAll(List.of(settings));
        args.add("output.dir=" + run);
        return run(new TrainCommand(), args.toArray(String[]::new));
    }

    private int export(Path run, Path out) {
        return run(new ExportCommand(), "--run", run.toString(), "--out", out.toString());
    }

    /**
     * Each mode: the newest checkpoint exports as the folder training wrote, and a run cut back
     * to its step-4 checkpoint resumes to the same end: bit for bit with the workers that wrote
     * it, to the same loss curve with another number.
     */
    @Test
    void everyModeExportsAndResumesWithAnyNumberOfWorkers() throws Exception {
        for (String[] c : List.of(new String[] {"full", "1", "1"}, new String[] {"frozen-towers", "2", "1"},
                new String[] {"projection-only", "1", "2"})) {
            String mode = c[0];
            Path run = tmp.resolve(mode);
            assertEquals(0, train(run, "train.mode=" + mode, "dist.workers=" + c[1]), stderr);
            assertEquals(0, export(run, tmp.resolve(mode + "-export")), stderr);
            assertSameTensors(run.resolve("model/model.safetensors"), tmp.resolve(mode + "-export/model.safetensors"), mode);

            Path reference = tmp.resolve(mode + "-reference.safetensors");
            Files.copy(run.resolve("model/model.safetensors"), reference);
            List<String> log = Files.readAllLines(run.resolve("train-log.jsonl"));
            LocalFiles.deleteTree(run.resolve("checkpoints/step-000000006"));
            LocalFiles.deleteTree(run.resolve("model"));
            assertEquals(0, train(run, "train.mode=" + mode, "dist.workers=" + c[2]), stderr);
            assertTrue(stdout.contains("resuming at step 4"), mode + ": " + stdout);
            List<String> resumed = Files.readAllLines(run.resolve("train-log.jsonl"));
            assertEquals(log.subList(0, 4), resumed.subList(0, 4), mode + ": the steps before the checkpoint are kept as they were");
            if (c[1].equals(c[2])) {
                assertEquals(-1, Files.mismatch(reference, run.resolve("model/model.safetensors")), mode + ": bit for bit");
            } else {
                for (int i = 4; i < 6; i++) {
                    assertEquals(loss(log.get(i)), loss(resumed.get(i)), 1e-4, mode + ", " + c[1] + " -> " + c[2] + " workers, step " + (i + 1));
                }
            }
        }
    }

    /**
     * A kill during an append leaves half a line; the newest checkpoint is damaged with its
     * checksum file gone: the rerun warns naming the file, resumes from the checkpoint before it,
     * logs every step once, and ends bit for bit where the uninterrupted run ended.
     */
    @Test
    void aHalfWrittenLogLineAndADamagedNewestCheckpointDoNotStopAResume() throws Exception {
        Path run = tmp.resolve("run");
        assertEquals(0, train(run, "eval.every=2"), stderr);
        Path reference = tmp.resolve("reference.safetensors");
        Files.copy(run.resolve("model/model.safetensors"), reference);
        List<String> log = Files.readAllLines(run.resolve("train-log.jsonl"));
        List<String> evals = Files.readAllLines(run.resolve("eval-log.jsonl"));
        Files.writeString(run.resolve("train-log.jsonl"), "{\"step\":7,\"loss\":1.21", StandardOpenOption.APPEND);
        Files.writeString(run.resolve("eval-log.jsonl"), "{\"step\":6,\"mean_re", StandardOpenOption.APPEND);
        Path slice = run.resolve("checkpoints/step-000000006/slice-00000-of-00001.safetensors");
        byte[] bytes = Files.readAllBytes(slice);
        bytes[bytes.length / 2] ^= 4;
        Files.write(slice, bytes);
        Files.delete(slice.resolveSibling("." + slice.getFileName() + ".crc"));

        assertEquals(0, train(run, "eval.every=2"), stderr);
        assertTrue(stdout.contains("warning: checkpoint step 6 is unusable (file:" + slice + ": corrupt slice (SHA-256")
                && stdout.contains("resuming at step 4"), stdout);
        List<String> resumed = Files.readAllLines(run.resolve("train-log.jsonl"));
        assertEquals(log.subList(0, 4), resumed.subList(0, 4), "the lines up to the checkpoint are kept");
        assertEquals(log.size(), resumed.size(), "every step logged once");
        for (int i = 4; i < log.size(); i++) {
            assertEquals(loss(log.get(i)), loss(resumed.get(i)), "step " + (i + 1) + " taken again exactly");
        }
        assertEquals(evals, Files.readAllLines(run.resolve("eval-log.jsonl")));
        assertEquals(-1, Files.mismatch(reference, run.resolve("model/model.safetensors")));
        assertEquals(0, export(run, tmp.resolve("export")), stderr);
        assertTrue(stdout.contains("exported step 6") && stderr.isEmpty(), "step 6 was written again, whole: " + stdout + stderr);
    }

    /**
     * A learning rate of 1e30 on a run with good checkpoints at steps 2 and 4: the exploded
     * parameters are never committed, the good checkpoints stay, the stop is one line naming the
     * last good one and not advising clipping (it is on), and a rerun with sane rates resumes from it.
     */
    @Test
    void aDivergedRunKeepsAndNamesItsLastGoodCheckpoint() throws Exception {
        Path run = tmp.resolve("run");
        String[] absurd = {"optim.lr-image=1e30", "optim.lr-text=1e30", "optim.lr-logit=1e30"};
        assertEquals(0, train(run, "train.steps=4"), stderr);
        assertEquals(2, train(run, absurd));
        assertEquals(1, stderr.lines().count(), stderr);
        assertTrue(stderr.startsWith("error: ") && stderr.contains("diverged") && stderr.contains("the last good checkpoint is step 4 (file:"
                + run.resolve("checkpoints/step-000000004") + ")") && stderr.contains("lower the learning rates")
                && stderr.contains("already clipped") && !stderr.contains("set clip.train.grad-clip") && !stderr.contains("Exception"), stderr);
        assertEquals(List.of("step-000000002", "step-000000004"), children(run.resolve("checkpoints")));
        assertEquals(0, train(run), stderr);
        assertTrue(stdout.contains("resuming at step 4"), stdout);

        String[] unclipped = {"optim.lr-image=1e30", "optim.lr-text=1e30", "optim.lr-logit=1e30", "train.grad-clip=0"};
        assertEquals(2, train(tmp.resolve("fresh"), unclipped));
        assertTrue(stderr.contains("or set clip.train.grad-clip") && stderr.contains("no checkpoint of this run was written"), stderr);

        assertEquals(2, train(tmp.resolve("hot"), "model.logit-scale-init=1000"));
        assertEquals(1, stderr.lines().count(), stderr);
        assertTrue(stderr.contains("3 non-finite steps in a row") && stderr.contains("lower clip.model.logit-scale-init")
                && !stderr.contains("learning rates"), "the observation, not the learning rate: " + stderr);
    }

    /**
     * Killed after the last checkpoint, while writing model/ (found by KilledTrainingIT): the rerun
     * resumes at the last step and takes its final evaluation again, which must not be logged twice.
     */
    @Test
    void aRunKilledWhileWritingItsOutputsLogsItsFinalEvaluationOnce() throws Exception {
        Path run = tmp.resolve("run");
        assertEquals(0, train(run, "eval.every=2"), stderr);
        List<String> evals = Files.readAllLines(run.resolve("eval-log.jsonl"));
        assertEquals(3, evals.size(), evals.toString());
        LocalFiles.deleteTree(run.resolve("model"));
        Files.delete(run.resolve("metrics.json"));
        assertEquals(0, train(run, "eval.every=2"), stderr);
        assertTrue(stdout.contains("resuming at step 6"), stdout);
        assertEquals(evals, Files.readAllLines(run.resolve("eval-log.jsonl")));
        assertTrue(Files.isRegularFile(run.resolve("model/model.safetensors")) && Files.isRegularFile(run.resolve("metrics.json")));
    }

    /** A rerun that finds the run finished still prunes to keep-checkpoints and sweeps what a kill left. */
    @Test
    void aResumeAtTheFinalStepPrunesAndSweepsLeftovers() throws Exception {
        Path run = tmp.resolve("run");
        assertEquals(0, train(run, "train.keep-checkpoints=3"), stderr);
        assertEquals(List.of("step-000000002", "step-000000004", "step-000000006"), children(run.resolve("checkpoints")));
        Path orphan = run.resolve("checkpoints/step-000000006/..manifest.json.tmp.crc");
        Files.move(orphan.resolveSibling(".manifest.json.crc"), orphan);
        assertEquals(0, train(run, "train.keep-checkpoints=2"), stderr);
        assertTrue(stdout.contains("resuming at step 6"), stdout);
        assertEquals(List.of("step-000000004", "step-000000006"), children(run.resolve("checkpoints")));
        assertFalse(Files.exists(orphan));
    }

    /**
     * A run folder is relocatable: moved away, its export is its own weights even after a new run
     * starts where it was, and it resumes where it now is. A failed export leaves nothing behind.
     */
    @Test
    void aMovedRunExportsAndResumesItsOwnCheckpoints() throws Exception {
        Path first = tmp.resolve("runA");
        Path moved = tmp.resolve("runB");
        assertEquals(0, train(first, "train.steps=4"), stderr);
        Files.move(first, moved);
        assertFalse(Files.readString(moved.resolve("config.conf")).contains(first.toString()), "no path into the run is absolute");
        assertEquals(0, train(first, "train.steps=4", "train.seed=7"), stderr);
        assertEquals(0, export(moved, tmp.resolve("exportB")), stderr);
        assertSameTensors(moved.resolve("model/model.safetensors"), tmp.resolve("exportB/model.safetensors"), "runB");
        assertEquals(0, train(moved), stderr);
        assertTrue(stdout.contains("resuming at step 4 from the checkpoint in file:" + moved), stdout);

        Files.writeString(moved.resolve("config.conf"), "\nclip.model.projection-dim = 16\n", StandardOpenOption.APPEND);
        Path failed = tmp.resolve("failed");
        assertEquals(2, export(moved, failed));
        assertTrue(stderr.startsWith("error: file:" + moved.resolve("checkpoints/step-000000006")) && stderr.lines().count() == 1, stderr);
        assertFalse(Files.exists(failed), "a failed export leaves no folder (and no .work) behind");

        Path bare = tmp.resolve("bare");
        assertEquals(0, run(new TrainCommand(), "tiny", "train.steps=2", "output.dir=" + bare), stderr);
        assertEquals(2, export(bare, tmp.resolve("x")));
        assertTrue(stderr.contains("no committed checkpoint (the run needs clip.train.checkpoint-every)"), stderr);
        LocalFiles.deleteTree(first.resolve("checkpoints"));
        assertEquals(2, export(first, tmp.resolve("x")));
        assertTrue(stderr.contains("no committed checkpoint (the run stopped before its first, due at step 2)"), stderr);
    }

    private static void assertSameTensors(Path expected, Path actual, String what) {
        Map<String, INDArray> a = SafeTensors.read(expected);
        Map<String, INDArray> b = SafeTensors.read(actual);
        assertEquals(a.keySet(), b.keySet(), what);
        for (String k : a.keySet()) {
            assertEquals(a.get(k), b.get(k), what + ": " + k);
        }
    }

    private static double loss(String line) throws IOException {
        return new ObjectMapper().readTree(line).path("loss").asDouble();
    }

    private static List<String> children(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
