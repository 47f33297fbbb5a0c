package clip.retrain;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * One run at a time per registry: the {@code LOCK} file, created only if absent (HDFS decides
 * that in its NameNode; on a local disk java.nio's CREATE_NEW does, because Hadoop's local
 * create checks and then opens), names its holder's run, host, pid and start time. The holder
 * renews the file's modification time every quarter of the timeout. A lock is stale, and is
 * taken over, when it has not been renewed within the timeout or its process is gone from this
 * host. Two runs that find the same stale lock at the same instant could both take it; each
 * run checks it still holds the lock before it changes the registry ({@link #checkHeld}).
 */
public final class RegistryLock implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int ATTEMPTS = 3;
    /** How long a lock may stay empty while its creator writes its holder's record. */
    private static final Duration CUT_SHORT = Duration.ofSeconds(10);

    private final FileSystem fs;
    private final Path file;
    private final String run;
    private final PrintStream log;
    private final ScheduledExecutorService heartbeat;

    private RegistryLock(FileSystem fs, Path file, String run, Duration timeout, PrintStream log) {
        this.fs = fs;
        this.file = file;
        this.run = run;
        this.log = log;
        this.heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "registry-lock-heartbeat");
            t.setDaemon(true);
            return t;
        });
        long period = Math.max(1, timeout.toMillis() / 4);
        heartbeat.scheduleAtFixedRate(this::renew, period, period, TimeUnit.MILLISECONDS);
    }

    /** Takes the lock for {@code run}, taking over a stale one; a live holder is a {@link RegistryLockedException}. */
    public static RegistryLock acquire(FileSystem fs, Path file, String run, Duration timeout, PrintStream log)
            throws IOException, RegistryLockedException {
        ObjectNode holder = JSON.createObjectNode().put("run", run).put("host", thisHost()).put("pid", ProcessHandle.current().pid())
                .put("started", Instant.now().toString());
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            if (tryCreate(fs, file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(holder))) {
                return new RegistryLock(fs, file, run, timeout, log);
            }
            FileStatus status;
            try {
                status = fs.getFileStatus(file);
            } catch (FileNotFoundException released) {
                continue;
            }
            JsonNode other = holder(fs, file);
            long ageMillis = System.currentTimeMillis() - status.getModificationTime();
            String stale = staleness(other, ageMillis, timeout);
            if (stale == null) {
                throw new RegistryLockedException(String.format("%s is held by run %s (host %s, pid %s, since %s; renewed %ds ago)",
                        file, other.path("run").asText("?"), other.path("host").asText("?"), other.path("pid").asText("?"),
                        other.path("started").asText("?"), ageMillis / 1000));
            }
            log.printf("retrain: taking over the stale lock of run %s: %s%n", other.path("run").asText("?"), stale);
            // Delete only the lock judged stale: a run that took it over meanwhile has written its own run id.
            if (holder(fs, file).path("run").equals(other.path("run"))) {
                fs.delete(file, false);
            }
        }
        throw new RegistryLockedException(file + " changed hands " + ATTEMPTS + " times while this run tried to take it");
    }

    /** Why a lock is stale, or null if its holder may still be running. */
    static String staleness(JsonNode holder, long ageMillis, Duration timeout) {
        // The holder's record is written the moment the file is created: a lock that still names
        // no run after a while is one whose creator was killed in between, and nobody would renew it.
        if (holder.path("run").asText().isEmpty() && ageMillis > CUT_SHORT.toMillis()) {
            return "it names no run " + Duration.ofMillis(ageMillis).toSeconds() + "s after its creation (its creator died writing it)";
        }
        String host = thisHost();
        if (!host.isEmpty() && holder.path("host").asText().equals(host) && holder.path("pid").canConvertToLong()) {
            long pid = holder.path("pid").asLong();
            if (ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true)) {
                return "its process " + pid + " is gone from " + host;
            }
        }
        if (ageMillis > timeout.toMillis()) {
            return "not renewed for " + Duration.ofMillis(ageMillis).toSeconds() + "s (lock-timeout " + timeout.toSeconds() + "s)";
        }
        return null;
    }

    /** Fails if another run has taken the lock over (this run's renewals stalled): then this run must not touch the registry. */
    public void checkHeld() throws IOException {
        JsonNode now = holder(fs, file);
        if (!now.path("run").asText().equals(run)) {
            throw new IllegalStateException("lost the lock " + file + " to run " + now.path("run").asText("(none)")
                    + " (this run's renewals stalled beyond clip.retrain.lock-timeout); the registry is left as it was");
        }
    }

    void renew() {
        try {
            fs.setTimes(file, System.currentTimeMillis(), -1);
        } catch (IOException e) {
            log.printf("retrain: could not renew the lock %s: %s%n", file, e.getMessage());
        }
    }

    @Override
    public void close() throws IOException {
        heartbeat.shutdownNow();
        if (holder(fs, file).path("run").asText().equals(run)) {
            fs.delete(file, false);
        }
    }

    private static boolean tryCreate(FileSystem fs, Path file, byte[] content) throws IOException {
        File local = fs instanceof LocalFileSystem l ? l.pathToFile(file) : fs instanceof RawLocalFileSystem r ? r.pathToFile(file) : null;
        if (local != null) {
            try (OutputStream out = Files.newOutputStream(local.toPath(), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                out.write(content);
                return true;
            } catch (java.nio.file.FileAlreadyExistsException e) {
                return false;
            }
        }
        try (OutputStream out = fs.create(file, false)) {
            out.write(content);
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        }
    }

    /** The lock's content; empty if the file is gone or not yet (fully) written. */
    private static JsonNode holder(FileSystem fs, Path file) throws IOException {
        try (InputStream in = fs.open(file)) {
            JsonNode n = JSON.readTree(in);
            return n == null ? JSON.createObjectNode() : n;
        } catch (FileNotFoundException | JsonProcessingException e) {
            return JSON.createObjectNode();
        }
    }

    /** This machine's name as the lock records it; "" if it cannot be known (then a pid says nothing). */
    static String thisHost() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "";
        }
    }
}
