package clip.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sbatch cluster/multi_node.sh} on a real one-node SLURM cluster (slurm/start.sh: munged,
 * slurmctld, slurmd), with the tiny recipe: the job starts a Spark standalone cluster inside its
 * allocation, trains, writes a model and metrics, and leaves no Spark daemon behind. Needs the
 * Debian packages slurmctld, slurmd, slurm-client and munge, and root (bin/test installs them and says so).
 */
class SlurmIT {
    private static final Path ROOT = Paths.get("").toAbsolutePath().getParent();
    private static final Pattern STATE = Pattern.compile("JobState=(\\w+)");

    @TempDir
    Path tmp;

    private static String run(Map<String, String> env, String... command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), String.join(" ", command) + " hung");
        assertEquals(0, p.exitValue(), String.join(" ", command) + ": " + out);
        return out;
    }

    /** Command lines of running processes that contain {@code text}. */
    private static List<String> processesMentioning(String text) throws IOException {
        List<String> found = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Paths.get("/proc"))) {
            for (Path p : procs.filter(x -> x.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    String cmd = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8).replace('\0', ' ');
                    if (cmd.contains(text) && !cmd.contains("/proc")) {
                        found.add(cmd);
                    }
                } catch (IOException e) {
                    // ended meanwhile
                }
            }
        }
        return found;
    }

    @Test
    void sbatchOfMultiNodeTrainsOnASparkClusterInsideTheAllocationAndCleansUp() throws Exception {
        Path slurm = tmp.resolve("slurm");
        String started = run(Map.of(), "slurm/start.sh", slurm.toString());
        assertTrue(started.contains("export SLURM_CONF="), started);
        Map<String, String> env = Map.of("SLURM_CONF", slurm.resolve("slurm.conf").toString(),
                "CLIP_JOB_DIR", tmp.resolve("job").toString(), "CLIP_SCRATCH", tmp.resolve("scratch").toString());
        Path out = tmp.resolve("run");
        String job;
        String state;
        String cancelled;
        String cancelledState;
        try {
            job = submit(env, "train.steps=10", "output.dir=" + out);
            state = awaitEnd(env, job);
            // A job cancelled while it trains must take its Spark cluster down with it.
            cancelled = submit(env, "train.steps=100000", "output.dir=" + tmp.resolve("cancelled"));
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
            Path cancelledLog = tmp.resolve("cancelled/train-log.jsonl");
            while (!Files.exists(cancelledLog) && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            assertTrue(Files.exists(cancelledLog), "the second job never started training");
            run(env, "scancel", cancelled);
            cancelledState = awaitEnd(env, cancelled);
        } finally {
            run(Map.of(), "slurm/stop.sh", slurm.toString());
        }
        String log = Files.readString(tmp.resolve("job-" + job + ".out"));
        assertEquals("COMPLETED", state, log);
        assertTrue(log.contains("step 10/10") && log.contains("cluster stopped (exit 0)"), log);
        assertTrue(Files.isRegularFile(out.resolve("metrics.json")) && Files.isRegularFile(out.resolve("model/model.safetensors")));
        assertTrue(Files.readString(tmp.resolve("job/logs/master.log")).contains("Registering app clip train"));
        assertTrue(!Files.exists(tmp.resolve("job/spark.properties")), "the job's Spark secret is deleted at the end");
        assertEquals(List.of(), processesMentioning(tmp.toString()), "processes of the job or of SLURM left running");
        assertEquals(List.of(), processesMentioning("--port " + (20000 + Integer.parseInt(job) % 20000)), "the job's Spark master");
        assertEquals("CANCELLED", cancelledState);
        assertEquals(List.of(), processesMentioning("--port " + (20000 + Integer.parseInt(cancelled) % 20000)),
                "the cancelled job's Spark master");
        assertTrue(Files.readString(tmp.resolve("job-" + cancelled + ".out")).contains("cluster stopped"),
                "the cancelled job ran its teardown");
    }

    /**
     * Two SLURM nodes, each a host in its own network namespace (cluster/netns.sh) running its own
     * slurmd: {@code sbatch --nodes=2 cluster/multi_node.sh} starts a Spark worker on each node and
     * trains with one worker per node across them; a job cancelled mid-run takes its Spark cluster
     * down on both nodes, and stopping SLURM leaves no daemon behind.
     */
    @Test
    void sbatchOnTwoNodesTrainsAcrossBothAndLeavesNothingBehind() throws Exception {
        String hosts = "sl" + ProcessHandle.current().pid() % 1_000_000; // unique: two test runs never share hosts
        run(Map.of(), "cluster/netns.sh", "down", "--name", hosts);
        run(Map.of(), "cluster/netns.sh", "up", "--hosts", "2", "--name", hosts);
        Path slurm = tmp.resolve("slurm");
        Path out = tmp.resolve("run");
        String job = null;
        String state;
        String cancelled;
        String cancelledState;
        try {
            String started = run(Map.of(), "slurm/start.sh", slurm.toString(), "--hosts", "2", "--name", hosts);
            assertTrue(started.contains("export SLURM_CONF="), started);
            List<String> env = List.of("env", "-u", "SPARK_LOCAL_IP", "SLURM_CONF=" + slurm.resolve("slurm.conf"),
                    "CLIP_JOB_DIR=" + tmp.resolve("job"), "CLIP_SCRATCH=" + tmp.resolve("scratch"));
            job = onHost0(hosts, env, "sbatch", "--parsable", "--nodes=2", "--cpus-per-task=1", "--output=" + tmp.resolve("job-%j.out"),
                    "cluster/multi_node.sh", "tiny", "train.steps=10", "output.dir=" + out).strip();
            state = awaitEnd(hosts, env, job);
            cancelled = onHost0(hosts, env, "sbatch", "--parsable", "--nodes=2", "--cpus-per-task=1",
                    "--output=" + tmp.resolve("job-%j.out"), "cluster/multi_node.sh", "tiny", "train.steps=100000",
                    "output.dir=" + tmp.resolve("cancelled")).strip();
            Path cancelledLog = tmp.resolve("cancelled/train-log.jsonl");
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
            while (!Files.exists(cancelledLog) && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            assertTrue(Files.exists(cancelledLog), "the second job never started training");
            onHost0(hosts, env, "scancel", cancelled);
            cancelledState = awaitEnd(hosts, env, cancelled);
        } finally {
            run(Map.of(), "slurm/stop.sh", slurm.toString());
            run(Map.of(), "cluster/netns.sh", "down", "--name", hosts);
        }
        String log = Files.readString(tmp.resolve("job-" + job + ".out"));
        assertEquals("COMPLETED", state, log);
        assertTrue(log.contains(hosts + "-h0 " + hosts + "-h1") && log.contains("2 training worker(s)"), log);
        assertTrue(log.contains("2 worker(s)") && log.contains("step 10/10") && log.contains("cluster stopped (exit 0)"), log);
        String master = Files.readString(tmp.resolve("job/logs/master.log"));
        assertTrue(master.contains("Registering worker " + hosts + "-h0:") && master.contains("Registering worker " + hosts + "-h1:"), master);
        assertTrue(Files.isRegularFile(out.resolve("model/model.safetensors")));
        assertEquals("CANCELLED", cancelledState);
        assertTrue(Files.readString(tmp.resolve("job-" + cancelled + ".out")).contains("cluster stopped"),
                "the cancelled job ran its teardown");
        assertEquals(List.of(), processesMentioning(tmp.toString()), "processes of the jobs or of SLURM left running");
        assertTrue(!run(Map.of(), "ip", "netns", "list").contains(hosts + "-"), "hosts left behind");
    }

    /** A command on host 0, where SLURM's controller is reachable. */
    private static String onHost0(String hosts, List<String> env, String... command) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of("cluster/netns.sh", "exec", "0", "--name", hosts, "--"));
        argv.addAll(env);
        argv.addAll(List.of(command));
        return run(Map.of(), argv.toArray(new String[0]));
    }

    private static String awaitEnd(String hosts, List<String> env, String job) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        String state = "";
        while (System.nanoTime() < deadline) {
            Matcher m = STATE.matcher(onHost0(hosts, env, "scontrol", "show", "job", job));
            state = m.find() ? m.group(1) : "";
            if (List.of("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY").contains(state)) {
                return state;
            }
            Thread.sleep(500);
        }
        return state;
    }

    private String submit(Map<String, String> env, String... overrides) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("sbatch", "--parsable", "--nodes=1",
                "--cpus-per-task=" + Runtime.getRuntime().availableProcessors(), "--output=" + tmp.resolve("job-%j.out"),
                "cluster/multi_node.sh", "tiny"));
        cmd.addAll(List.of(overrides));
        return run(env, cmd.toArray(new String[0])).strip();
    }

    /** Waits for the job to reach a final state, and returns it. */
    private static String awaitEnd(Map<String, String> env, String job) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        String state = "";
        while (System.nanoTime() < deadline) {
            Matcher m = STATE.matcher(run(env, "scontrol", "show", "job", job));
            state = m.find() ? m.group(1) : "";
            if (List.of("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY").contains(state)) {
                return state;
            }
            Thread.sleep(500);
        }
        return state;
    }
}
