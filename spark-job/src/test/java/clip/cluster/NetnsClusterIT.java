package clip.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.io.SafeTensors;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The packaged project across hosts: network namespaces made by cluster/netns.sh, each with its
 * own address in 198.18.0.0/15 and its own hostname. A Spark master and the driver run on host 0,
 * one worker daemon on each of hosts 1-3; jobs use two executors, so the training workers talk
 * over the namespaces' bridge, never over loopback (dist.listen-host is left at its default, the
 * executor's host). Needs root and iproute2 (network namespaces), as CI has.
 */
class NetnsClusterIT {
    private static final Path ROOT = Paths.get("").toAbsolutePath().getParent();
    /** Unique per test JVM, so two test runs on one machine never share hosts. */
    private static final String NAME = "it" + ProcessHandle.current().pid() % 1_000_000;
    private static final int WORKER_HOSTS = 3;
    private static final String MASTER = "spark://" + address(0) + ":7077";

    @TempDir
    Path tmp;

    private final List<Process> daemons = new ArrayList<>();

    private static String address(int host) {
        return "198.18.0." + (host + 1);
    }

    private static String host(int host) {
        return NAME + "-h" + host;
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), String.join(" ", command) + " hung");
        assertEquals(0, p.exitValue(), String.join(" ", command) + ": " + out);
        return out;
    }

    /** A command on a host: its own network and hostname, Spark bound to the host's address. */
    private static List<String> onHost(int host, String... command) {
        List<String> argv = new ArrayList<>(List.of("cluster/netns.sh", "exec", Integer.toString(host), "--name", NAME, "--",
                "env", "SPARK_LOCAL_IP=" + address(host)));
        argv.addAll(List.of(command));
        return argv;
    }

    private Process start(Path log, List<String> command) throws IOException {
        Process p = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        daemons.add(p);
        return p;
    }

    private static void await(String what, long seconds, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!done.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "waited " + seconds + " s for " + what);
            Thread.sleep(100);
        }
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            return "";
        }
    }

    @BeforeEach
    void startHostsAndCluster() throws Exception {
        assertEquals("0", run("id", "-u").strip(), "network namespaces need root: run the integration tests as root (CI does)");
        run("cluster/netns.sh", "down", "--name", NAME);
        run("cluster/netns.sh", "up", "--hosts", Integer.toString(WORKER_HOSTS + 1), "--name", NAME);
        Path masterLog = tmp.resolve("master.log");
        start(masterLog, onHost(0, "cluster/spark-daemon.sh", "master", "--host", address(0), "--port", "7077", "--webui-port", "0"));
        await("the master to listen", 120, () -> read(masterLog).contains("Starting Spark master"));
        for (int h = 1; h <= WORKER_HOSTS; h++) {
            start(tmp.resolve("worker-" + h + ".log"), onHost(h, "cluster/spark-daemon.sh", "worker", "--host", address(h),
                    "--cores", "1", "--memory", "2g", "--work-dir", tmp.resolve("work-" + h).toString(), "--webui-port", "0", MASTER));
        }
        await("three workers to register", 180,
                () -> read(masterLog).split("Registering worker", -1).length - 1 >= WORKER_HOSTS);
    }

    @AfterEach
    void stopClusterAndHosts() throws Exception {
        for (Process p : daemons) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        for (int h = 0; h <= WORKER_HOSTS; h++) {
            killEverythingOn(h);
        }
        run("cluster/netns.sh", "down", "--name", NAME);
        assertFalse(run("ip", "netns", "list").contains(NAME + "-"), "namespaces left behind");
    }

    /** SIGKILL to every process on a host, as a host that loses power. */
    private static void killEverythingOn(int host) throws IOException, InterruptedException {
        for (long pid : pidsOn(host)) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    private static List<Long> pidsOn(int host) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("ip", "netns", "pids", host(host)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out.lines().filter(l -> l.matches("\\d+")).map(Long::parseLong).toList();
    }

    private static boolean runsAnExecutor(int host) {
        try {
            return pidsOn(host).stream().anyMatch(pid -> ProcessHandle.of(pid).flatMap(h -> h.info().commandLine())
                    .map(c -> c.contains("CoarseGrainedExecutorBackend")).orElse(false));
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    private List<String> submit(Path out, String... settings) {
        List<String> argv = new ArrayList<>(onHost(0, "cluster/spark-submit", "--master", MASTER,
                "--conf", "spark.driver.host=" + address(0), "--conf", "spark.executor.memory=1g", "--conf", "spark.cores.max=2",
                "--class", "clip.Train", "spark-job/target/clip-spark-job.jar", "tiny", "dist.workers=2", "output.dir=" + out));
        argv.addAll(List.of(settings));
        return argv;
    }

    private String train(Path out, String... settings) throws Exception {
        Path console = tmp.resolve(out.getFileName() + ".console");
        Process job = new ProcessBuilder(submit(out, settings)).directory(ROOT.toFile()).redirectErrorStream(true)
                .redirectOutput(console.toFile()).start();
        assertTrue(job.waitFor(6, TimeUnit.MINUTES), "the job did not end: " + read(console));
        assertEquals(0, job.exitValue(), read(console));
        return read(console);
    }

    private static void assertSameParameters(Path expected, Path actual, double tolerance) throws IOException {
        Map<String, INDArray> a = SafeTensors.read(expected.resolve("model/model.safetensors"));
        Map<String, INDArray> b = SafeTensors.read(actual.resolve("model/model.safetensors"));
        assertEquals(a.keySet(), b.keySet());
        for (String name : a.keySet()) {
            double diff = a.get(name).sub(b.get(name)).amaxNumber().doubleValue();
            assertTrue(diff <= tolerance, name + ": max |diff| " + diff + " between " + expected + " and " + actual);
        }
    }

    /**
     * Two executors on two hosts follow one process's loss curve (the tolerance of TrainCommandTest's
     * equivalence test) and end at the parameters two workers reach as threads of one process.
     */
    @Test
    void workersOnTwoHostsTrainAsOneProcessDoes() throws Exception {
        Path cluster = tmp.resolve("across-hosts");
        String output = train(cluster, "train.steps=10");
        assertTrue(output.contains("2 worker(s)") && output.contains("step 10/10"), output);
        Path alone = tmp.resolve("alone");
        run("bin/clip", "train", "tiny", "train.steps=10", "dist.workers=1", "output.dir=" + alone);
        double[] expected = losses(alone);
        double[] actual = losses(cluster);
        assertEquals(10, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-4, "step " + (i + 1));
        }
        Path threads = tmp.resolve("threads");
        run("bin/clip", "train", "tiny", "train.steps=10", "dist.workers=2", "output.dir=" + threads);
        assertSameParameters(threads, cluster, 1e-5);
        long hostsWithExecutors = java.util.stream.IntStream.rangeClosed(1, WORKER_HOSTS)
                .filter(h -> read(tmp.resolve("worker-" + h + ".log")).contains("Asked to launch executor")).count();
        assertEquals(2, hostsWithExecutors, "the two executors ran on two different hosts");
    }

    private static double[] losses(Path run) throws IOException {
        return Files.readAllLines(run.resolve("train-log.jsonl")).stream()
                .mapToDouble(l -> Double.parseDouble(l.replaceAll(".*\"loss\":([-0-9.eE]+).*", "$1"))).toArray();
    }

    /**
     * Every process of one worker host killed mid-run: the job restarts from its last checkpoint on
     * the spare host and ends at the parameters of an uninterrupted run.
     */
    @Test
    void aLostHostCostsOnlyTheStepsSinceTheLastCheckpoint() throws Exception {
        int steps = 40;
        Path out = tmp.resolve("interrupted");
        Path console = tmp.resolve("interrupted.console");
        Process job = new ProcessBuilder(submit(out, "train.steps=" + steps, "train.checkpoint-every=5", "dist.timeout-ms=60000"))
                .directory(ROOT.toFile()).redirectErrorStream(true).redirectOutput(console.toFile()).start();
        Path trainLog = out.resolve("train-log.jsonl");
        await("12 steps", 300, () -> read(trainLog).lines().count() >= 12 || !job.isAlive());
        assertTrue(job.isAlive(), read(console));
        int victim = -1;
        for (int h = 1; h <= WORKER_HOSTS && victim < 0; h++) {
            if (runsAnExecutor(h)) {
                victim = h;
            }
        }
        assertTrue(victim > 0, "no worker host runs an executor: " + read(console));
        killEverythingOn(victim);
        assertTrue(job.waitFor(6, TimeUnit.MINUTES), "the job did not end: " + read(console));
        String output = read(console);
        assertEquals(0, job.exitValue(), output);
        assertTrue(output.contains("resuming at step "), output);
        List<String> lines = Files.readAllLines(trainLog);
        assertEquals(steps, lines.size(), "every step logged exactly once");
        Path whole = tmp.resolve("uninterrupted");
        train(whole, "train.steps=" + steps, "train.checkpoint-every=5");
        assertSameParameters(whole, out, 1e-5);
    }

    /**
     * A worker host whose link goes down mid-run: the step fails within dist.timeout-ms with an
     * error naming the unreachable peer, and the job restarts on the spare host and takes every
     * step exactly once.
     */
    @Test
    void aHostWhoseLinkGoesDownFailsTheStepNamingThePeerThenTheJobRestarts() throws Exception {
        int steps = 30;
        long timeoutMs = 8000;
        Path out = tmp.resolve("cut");
        Path console = tmp.resolve("cut.console");
        // The driver must also give up on the unreachable executor quickly, or the restart waits for it.
        List<String> argv = submit(out, "train.steps=" + steps, "train.checkpoint-every=5", "dist.timeout-ms=" + timeoutMs);
        argv.addAll(argv.indexOf("--class"), List.of("--conf", "spark.network.timeout=15s",
                "--conf", "spark.network.timeoutInterval=5s", "--conf", "spark.executor.heartbeatInterval=1s"));
        Process job = new ProcessBuilder(argv).directory(ROOT.toFile()).redirectErrorStream(true)
                .redirectOutput(console.toFile()).start();
        Path trainLog = out.resolve("train-log.jsonl");
        await("8 steps", 300, () -> read(trainLog).lines().count() >= 8 || !job.isAlive());
        assertTrue(job.isAlive(), read(console));
        int victim = -1;
        for (int h = 1; h <= WORKER_HOSTS && victim < 0; h++) {
            if (runsAnExecutor(h)) {
                victim = h;
            }
        }
        assertTrue(victim > 0, "no worker host runs an executor: " + read(console));
        run("cluster/netns.sh", "link", Integer.toString(victim), "down", "--name", NAME);
        long cut = System.nanoTime();
        await("the step to fail", 60, () -> read(console).contains("the workers failed"));
        double seconds = (System.nanoTime() - cut) / 1e9;
        assertTrue(seconds <= 2.0 * timeoutMs / 1000, "the step failed " + seconds + " s after the link went down");
        String failure = read(console).lines().filter(l -> l.contains("the workers failed")).findFirst().orElseThrow();
        assertTrue(failure.contains("no data within the deadline from") && failure.contains(address(victim)),
                "the error names the unreachable peer: " + failure);
        assertTrue(job.waitFor(6, TimeUnit.MINUTES), "the job did not end: " + read(console));
        assertEquals(0, job.exitValue(), read(console));
        List<String> lines = Files.readAllLines(trainLog);
        assertEquals(steps, lines.size(), "every step logged exactly once");
        for (int i = 0; i < steps; i++) {
            assertTrue(lines.get(i).startsWith("{\"step\":" + (i + 1) + ","), lines.get(i));
        }
    }
}
