package clip.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.cli.Cli;
import clip.cli.GenerateCommand;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A disk that fills up (a small tmpfs) under a training run's output.dir, under its
 * train.checkpoint-dir, and under bin/clip prep --out: the command stops with one line naming the
 * file it could not write, and once there is space again the rerun takes nothing half-written for
 * complete: training resumes from the last committed checkpoint and ends bit for bit where an
 * uninterrupted run ends; prep redoes the shard it was writing and ends with a clean run's shards.
 * Mounting needs root, as CI has; without it the test fails, saying so.
 */
class DiskFullIT {
    private static final Path ROOT = Paths.get("").toAbsolutePath().getParent();
    private static final List<String> TRAIN = List.of("bin/clip", "train", "tiny", "train.steps=12", "train.checkpoint-every=2",
            "eval.every=4", "train.log-every=12");

    @TempDir
    Path tmp;
    private final List<Path> mounts = new ArrayList<>();

    private record Result(int code, String stdout, String stderr) {
    }

    private Result run(List<String> command, String name) throws IOException, InterruptedException {
        Path out = tmp.resolve(name + ".out");
        Path err = tmp.resolve(name + ".err");
        Process p = new ProcessBuilder(command).directory(ROOT.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(4, TimeUnit.MINUTES), String.join(" ", command) + " hung");
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    private static String sh(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(1, TimeUnit.MINUTES), String.join(" ", command) + " hung");
        assertEquals(0, p.exitValue(), "the disk-full tests mount a small tmpfs, which needs root (CI runs them as root): "
                + String.join(" ", command) + " said: " + out.strip());
        return out;
    }

    /** A new folder on a tmpfs of {@code kib} KiB: a disk that fills up. */
    private Path smallDisk(String name, int kib) throws IOException, InterruptedException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        sh("mount", "-t", "tmpfs", "-o", "size=" + kib + "k", "tmpfs", dir.toString());
        mounts.add(dir);
        return dir;
    }

    /** Space again: the tmpfs grows to 64 MiB, keeping what is on it. */
    private static void makeRoom(Path disk) throws IOException, InterruptedException {
        sh("mount", "-o", "remount,size=64m", disk.toString());
    }

    @AfterEach
    void unmount() throws IOException, InterruptedException {
        for (Path m : mounts) {
            sh("umount", m.toString());
        }
    }

    /** The failure is one line naming a file on the full disk; no stack trace reaches the terminal. */
    private static void assertOneLineNaming(Path disk, Result failed) {
        assertEquals(1, failed.code(), failed.stdout() + failed.stderr());
        List<String> errors = failed.stderr().lines().filter(l -> l.startsWith("error: ")).toList();
        assertEquals(1, errors.size(), failed.stderr());
        assertTrue(errors.get(0).contains("could not write ") && errors.get(0).contains(disk.toString())
                && errors.get(0).contains("No space left on device"), errors.get(0));
        assertFalse(failed.stderr().contains("\tat ") || failed.stderr().contains("Exception"), "no stack trace: " + failed.stderr());
    }

    private static List<String> with(List<String> base, String... more) {
        List<String> out = new ArrayList<>(base);
        out.addAll(List.of(more));
        return out;
    }

    @Test
    void trainingOnAFullOutputDirOrCheckpointDirStopsNamingTheFileAndResumesOnceThereIsRoom() throws Exception {
        Path whole = tmp.resolve("whole");
        Result reference = run(with(TRAIN, "output.dir=" + whole), "whole");
        assertEquals(0, reference.code(), reference.stderr());

        // output.dir on the small disk, checkpoints inside it; then train.checkpoint-dir alone on one.
        Path outputDisk = smallDisk("output-disk", 1200);
        Path checkpointDisk = smallDisk("checkpoint-disk", 700);
        List<Path[]> cases = List.of(new Path[] {outputDisk, outputDisk.resolve("run"), outputDisk.resolve("run/checkpoints")},
                new Path[] {checkpointDisk, tmp.resolve("run"), checkpointDisk.resolve("checkpoints")});
        for (Path[] c : cases) {
            Path disk = c[0];
            Path run = c[1];
            Path checkpoints = c[2];
            List<String> command = with(TRAIN, "output.dir=" + run, "train.checkpoint-dir=" + checkpoints);
            Result failed = run(command, disk.getFileName() + "-full");
            assertOneLineNaming(disk, failed);
            long newest = KilledTrainingIT.newestCommittedLoads(checkpoints);

            makeRoom(disk);
            Result rerun = run(command, disk.getFileName() + "-rerun");
            assertEquals(0, rerun.code(), rerun.stderr());
            assertTrue(newest == 0 ? !rerun.stdout().contains("resuming") : rerun.stdout().contains("resuming at step " + newest + " "),
                    "resumes from step " + newest + " after " + failed.stderr() + ": " + rerun.stdout());
            assertEquals(-1, Files.mismatch(whole.resolve("model/model.safetensors"), run.resolve("model/model.safetensors")),
                    disk + ": bit for bit the uninterrupted run's model, after " + failed.stderr());
            double[] expected = TrainCommandTest.losses(whole.resolve("train-log.jsonl"));
            double[] actual = TrainCommandTest.losses(run.resolve("train-log.jsonl"));
            assertEquals(12, actual.length, "every step logged once");
            for (int s = 0; s < 12; s++) {
                assertEquals(expected[s], actual[s], "step " + (s + 1));
            }
            assertEquals(Files.readAllLines(whole.resolve("eval-log.jsonl")), Files.readAllLines(run.resolve("eval-log.jsonl")));
        }
    }

    @Test
    void prepOnAFullDiskStopsNamingTheFileAndItsRerunRedoesTheUnfinishedShard() throws Exception {
        Path coco = tmp.resolve("coco");
        assertEquals(0, new Cli().register(new GenerateCommand()).run(new String[] {"generate", "--out", coco.toString(),
                "--train", "256", "--val", "64", "--long-side", "32"}, System.out, System.err));
        List<String> prep = List.of("bin/clip", "prep", "--format", "coco", "--root", coco.toString(), "--image-size", "16",
                "--images-per-shard", "64", "--master", "local[2]", "--out");
        Path clean = tmp.resolve("clean");
        Result reference = run(with(prep, clean.toString()), "prep-clean");
        assertEquals(0, reference.code(), reference.stderr());

        // room for the five shard plans under _tmp/plans (~164 KiB) and two or three of the five
        // shards (~80 KiB each with their progress files), so the disk fills part way through
        Path disk = smallDisk("prep-disk", 440);
        Path out = disk.resolve("shards");
        Result failed = run(with(prep, out.toString()), "prep-full");
        assertOneLineNaming(disk, failed);
        assertFalse(Files.exists(out.resolve("manifest.json")), "no manifest for an unfinished prep");

        makeRoom(disk);
        Result rerun = run(with(prep, out.toString()), "prep-rerun");
        assertEquals(0, rerun.code(), rerun.stderr());
        assertTrue(rerun.stdout().matches("(?s).*prep: 5 shards of up to 64 images; [1-4] already written by an earlier run.*"),
                "the shards committed before the disk filled are kept, the rest written: " + rerun.stdout());
        ObjectMapper json = new ObjectMapper();
        JsonNode expected = json.readTree(clean.resolve("manifest.json").toFile()).path("shards");
        JsonNode actual = json.readTree(out.resolve("manifest.json").toFile()).path("shards");
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.get(i).path("path"), actual.get(i).path("path"));
            assertEquals(expected.get(i).path("sha256"), actual.get(i).path("sha256"), "shard " + expected.get(i).path("path"));
            assertEquals(-1, Files.mismatch(clean.resolve(expected.get(i).path("path").asText()),
                    out.resolve(actual.get(i).path("path").asText())));
        }
        assertFalse(Files.exists(out.resolve("_tmp")), "the unfinished shard's leftovers are gone");
    }
}
