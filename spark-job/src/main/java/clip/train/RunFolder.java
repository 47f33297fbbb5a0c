package clip.train;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The folder a training run writes into. {@code clip.output.dir} names one explicitly (an earlier
 * run's, to resume it); without it every run gets a new folder {@code <runs>/<recipe>-<UTC time>}
 * (with -2, -3... if another run took that name in the same second) and {@code <runs>/latest}
 * is relinked to it, so a run never replaces what an earlier one left.
 */
public final class RunFolder {
    static final String LATEST = "latest";
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    private RunFolder() {
    }

    /**
     * The configured folder, or a new one made now; call it only once every check of the
     * configuration has passed, since a new folder is created here.
     *
     * @param recipe the recipe's name or file, which names a new folder
     */
    static Path choose(TrainConfig config, String recipe, PrintStream log) throws IOException {
        if (config.output().chosen()) {
            return Paths.get(config.output().dir());
        }
        Path runs = config.output().runs();
        Files.createDirectories(runs);
        String base = nameOf(recipe) + "-" + STAMP.format(Instant.now());
        Path dir = null;
        for (int n = 1; dir == null; n++) {
            try {
                dir = Files.createDirectory(runs.resolve(n == 1 ? base : base + "-" + n));
            } catch (FileAlreadyExistsException taken) {
                // another run started in the same second: take the next name
            }
        }
        log.printf("run folder: %s (new; resume it with output.dir=%s)%n", dir, dir);
        link(runs, dir.getFileName(), log);
        return dir;
    }

    /** Points {@code runs/latest} at the new folder, replacing the old link in one rename. */
    private static void link(Path runs, Path name, PrintStream log) {
        Path tmp = runs.resolve(LATEST + "." + name + ".tmp");
        try {
            Files.createSymbolicLink(tmp, name);
            Files.move(tmp, runs.resolve(LATEST), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | UnsupportedOperationException e) {
            log.printf("run folder: could not link %s to it (%s)%n", runs.resolve(LATEST), e.getMessage());
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the link was never made
            }
        }
    }

    /** conf/x.conf and x both name folders x-...; anything but letters, digits, '.', '_' and '-' becomes '_'. */
    private static String nameOf(String recipe) {
        String file = Paths.get(recipe).getFileName().toString();
        String stem = file.endsWith(".conf") ? file.substring(0, file.length() - ".conf".length()) : file;
        return stem.replaceAll("[^A-Za-z0-9._-]", "_");
    }
}
