package clip.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Local-disk housekeeping the JDK leaves to its users. */
public final class LocalFiles {
    private LocalFiles() {
    }

    /** Deletes a file or a folder with everything in it; nothing if it does not exist. */
    public static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path x : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(x);
            }
        }
    }

    /**
     * Puts the folder {@code fresh} in the place of {@code target} by two renames (target to
     * {@code <target>.old}, fresh to target), then deletes the old one: a crash leaves the old
     * folder or the new one whole, never a mix (between the renames, only {@code <target>.old}).
     */
    public static void replaceTree(Path fresh, Path target) throws IOException {
        Path old = target.resolveSibling(target.getFileName() + ".old");
        deleteTree(old);
        if (Files.exists(target)) {
            Files.move(target, old);
        }
        Files.move(fresh, target);
        deleteTree(old);
    }
}
