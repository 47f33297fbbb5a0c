package clip.train;

import static java.nio.file.StandardWatchEventKinds.ENTRY_CREATE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_DELETE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * What another process does to the files under a folder, as it does it (inotify, through the
 * JDK's WatchService), in subfolders too, including those it creates while watched: a test
 * waits for a moment in a writer's sequence of file-system events rather than sleeping.
 */
public final class FileEvents implements AutoCloseable {
    /** One creation (or rename into place), modification or deletion (or rename away) of {@code path}. */
    public record Event(WatchEvent.Kind<?> kind, Path path) {
        public boolean created() {
            return kind == ENTRY_CREATE;
        }

        public boolean modified() {
            return kind == ENTRY_MODIFY;
        }

        public boolean deleted() {
            return kind == ENTRY_DELETE;
        }

        public String name() {
            return path.getFileName().toString();
        }

        @Override
        public String toString() {
            return kind.name() + " " + path;
        }
    }

    private final WatchService watch;
    private final Map<WatchKey, Path> dirs = new HashMap<>();
    private final Deque<Event> pending = new ArrayDeque<>();

    /** Starts watching {@code root} and every folder already under it. */
    public FileEvents(Path root) throws IOException {
        watch = root.getFileSystem().newWatchService();
        try (Stream<Path> tree = Files.walk(root)) {
            for (Path dir : tree.filter(Files::isDirectory).toList()) {
                register(dir);
            }
        }
    }

    private void register(Path dir) throws IOException {
        try {
            dirs.put(dir.register(watch, ENTRY_CREATE, ENTRY_MODIFY, ENTRY_DELETE), dir);
        } catch (NoSuchFileException gone) {
            // created and deleted again before we looked
        }
    }

    /**
     * A folder that appeared while watched is watched from now on; what was written into it
     * before that counts as created now (a file may then be reported created twice).
     */
    private void follow(Path dir) throws IOException {
        register(dir);
        try (Stream<Path> children = Files.list(dir)) {
            for (Path p : children.toList()) {
                pending.add(new Event(ENTRY_CREATE, p));
                if (Files.isDirectory(p)) {
                    follow(p);
                }
            }
        } catch (NoSuchFileException gone) {
            // deleted again meanwhile: its deletion is an event of its parent
        }
    }

    /**
     * The first event that {@code wanted} accepts; empty when {@code going} turns false (the writer
     * ended) or {@code seconds} pass first.
     */
    public Optional<Event> await(Predicate<Event> wanted, BooleanSupplier going, long seconds)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            while (!pending.isEmpty()) {
                Event e = pending.poll();
                if (wanted.test(e)) {
                    return Optional.of(e);
                }
            }
            if (!going.getAsBoolean()) {
                return Optional.empty();
            }
            WatchKey key = watch.poll(50, TimeUnit.MILLISECONDS);
            if (key == null) {
                continue;
            }
            Path dir = dirs.get(key);
            for (WatchEvent<?> raw : key.pollEvents()) {
                if (raw.kind() == java.nio.file.StandardWatchEventKinds.OVERFLOW || dir == null) {
                    continue;
                }
                Path p = dir.resolve((Path) raw.context());
                pending.add(new Event(raw.kind(), p));
                if (raw.kind() == ENTRY_CREATE && Files.isDirectory(p)) {
                    follow(p);
                }
            }
            if (!key.reset()) {
                dirs.remove(key);
            }
        }
        return Optional.empty();
    }

    @Override
    public void close() throws IOException {
        watch.close();
    }
}
