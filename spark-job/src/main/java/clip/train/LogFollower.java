package clip.train;

import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Echoes the lines rank 0 appends to its log file, so the driver's console shows the progress
 * of workers that run in other processes or on other machines (the output folder is on a
 * filesystem they share). Polls: a log line every few seconds needs nothing quicker.
 */
final class LogFollower implements AutoCloseable {
    private final Path file;
    private final PrintStream out;
    private final Thread thread;
    private volatile boolean stopping;
    private long offset;
    private final StringBuilder partial = new StringBuilder();

    LogFollower(Path file, PrintStream out) {
        this.file = file;
        this.out = out;
        this.thread = new Thread(this::follow, "clip-log-follower");
        thread.setDaemon(true);
        thread.start();
    }

    private void follow() {
        while (!stopping) {
            drain();
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private synchronized void drain() {
        if (!Files.isRegularFile(file)) {
            return;
        }
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            if (f.length() <= offset) {
                return;
            }
            byte[] chunk = new byte[(int) Math.min(f.length() - offset, 1 << 20)];
            f.seek(offset);
            f.readFully(chunk);
            offset += chunk.length;
            partial.append(new String(chunk, StandardCharsets.UTF_8));
            int end;
            while ((end = partial.indexOf("\n")) >= 0) {
                out.println(partial.substring(0, end));
                partial.delete(0, end + 1);
            }
        } catch (IOException e) {
            // the next poll tries again; a log that cannot be read must not stop training
        }
    }

    /** Prints whatever arrived last, then stops. */
    @Override
    public void close() {
        stopping = true;
        thread.interrupt();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        drain();
    }
}
