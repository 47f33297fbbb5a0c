package clip.retrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegistryLockTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration HOUR = Duration.ofHours(1);

    @TempDir
    java.nio.file.Path tmp;
    private FileSystem fs;
    private Path lock;
    private final ByteArrayOutputStream logged = new ByteArrayOutputStream();
    private final PrintStream log = new PrintStream(logged, true, StandardCharsets.UTF_8);

    @BeforeEach
    void localDisk() throws Exception {
        fs = FileSystem.getLocal(new Configuration());
        lock = new Path(tmp.resolve("LOCK").toUri());
    }

    /** A LOCK as another run left it, last renewed {@code age} ago. */
    private void otherRun(String host, long pid, Duration age) throws Exception {
        java.nio.file.Path file = tmp.resolve("LOCK");
        Files.writeString(file, JSON.createObjectNode().put("run", "other").put("host", host).put("pid", pid)
                .put("started", "2020-01-01T00:00:00Z").toString());
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().minus(age)));
    }

    @Test
    void oneHolderAtATimeAndTheLockNamesIt() throws Exception {
        try (RegistryLock held = RegistryLock.acquire(fs, lock, "first", HOUR, log)) {
            JsonNode holder = JSON.readTree(tmp.resolve("LOCK").toFile());
            assertEquals("first", holder.path("run").asText());
            assertEquals(ProcessHandle.current().pid(), holder.path("pid").asLong());
            assertEquals(RegistryLock.thisHost(), holder.path("host").asText());
            assertTrue(holder.has("started"));
            RegistryLockedException refused = assertThrows(RegistryLockedException.class,
                    () -> RegistryLock.acquire(fs, lock, "second", HOUR, log));
            assertTrue(refused.getMessage().contains("held by run first (host " + RegistryLock.thisHost()), refused.getMessage());
            held.checkHeld();
        }
        assertFalse(Files.exists(tmp.resolve("LOCK")));
        RegistryLock.acquire(fs, lock, "second", HOUR, log).close();
    }

    @Test
    void aLockNotRenewedWithinTheTimeoutIsTakenOver() throws Exception {
        otherRun("another-host", 12345, Duration.ofHours(2));
        try (RegistryLock taken = RegistryLock.acquire(fs, lock, "mine", HOUR, log)) {
            assertEquals("mine", JSON.readTree(tmp.resolve("LOCK").toFile()).path("run").asText());
        }
        assertTrue(logged.toString(StandardCharsets.UTF_8).contains("taking over the stale lock of run other: not renewed for 7200s"),
                logged.toString(StandardCharsets.UTF_8));
    }

    /** A run killed between creating LOCK and writing its record leaves it empty: taken over after a short grace, not after the timeout. */
    @Test
    void anEmptyLockIsTakenOverOnceItsCreatorCannotBeWritingIt() throws Exception {
        java.nio.file.Path file = tmp.resolve("LOCK");
        Files.writeString(file, "");
        assertThrows(RegistryLockedException.class, () -> RegistryLock.acquire(fs, lock, "mine", HOUR, log));
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().minus(Duration.ofSeconds(30))));
        try (RegistryLock taken = RegistryLock.acquire(fs, lock, "mine", HOUR, log)) {
            assertEquals("mine", JSON.readTree(file.toFile()).path("run").asText());
        }
        assertTrue(logged.toString(StandardCharsets.UTF_8).contains("it names no run 30s after its creation"),
                logged.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aRecentlyRenewedLockOfAnotherHostIsRespected() throws Exception {
        otherRun("another-host", 12345, Duration.ofMinutes(59));
        assertThrows(RegistryLockedException.class, () -> RegistryLock.acquire(fs, lock, "mine", HOUR, log));
        assertEquals("other", JSON.readTree(tmp.resolve("LOCK").toFile()).path("run").asText());
    }

    @Test
    void theLockOfAProcessGoneFromThisHostIsTakenOverAtOnce() throws Exception {
        otherRun(RegistryLock.thisHost(), RetrainTest.deadPid(), Duration.ZERO);
        RegistryLock.acquire(fs, lock, "mine", HOUR, log).close();
        assertTrue(logged.toString(StandardCharsets.UTF_8).contains("is gone from " + RegistryLock.thisHost()),
                logged.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aHolderWhoseLockWasTakenOverNoticesAndLeavesTheNewLockAlone() throws Exception {
        RegistryLock stalled = RegistryLock.acquire(fs, lock, "stalled", HOUR, log);
        Files.setLastModifiedTime(tmp.resolve("LOCK"), FileTime.from(Instant.now().minus(Duration.ofHours(2))));
        RegistryLock successor = RegistryLock.acquire(fs, lock, "successor", HOUR, log);
        IllegalStateException lost = assertThrows(IllegalStateException.class, stalled::checkHeld);
        assertTrue(lost.getMessage().contains("to run successor"), lost.getMessage());
        stalled.close();
        assertEquals("successor", JSON.readTree(tmp.resolve("LOCK").toFile()).path("run").asText());
        successor.close();
    }

    @Test
    void renewingMovesTheModificationTimeToNow() throws Exception {
        try (RegistryLock held = RegistryLock.acquire(fs, lock, "mine", HOUR, log)) {
            Files.setLastModifiedTime(tmp.resolve("LOCK"), FileTime.from(Instant.now().minus(Duration.ofHours(2))));
            held.renew();
            long age = System.currentTimeMillis() - Files.getLastModifiedTime(tmp.resolve("LOCK")).toMillis();
            assertTrue(age < 60_000, "renewed " + age + " ms ago");
        }
    }
}
