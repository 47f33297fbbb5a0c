package clip.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** shared/golden for this module's tests: -Dgolden.dir when it exists, else the nearest shared/golden above the checkout. */
final class GoldenFolders {
    private GoldenFolders() {
    }

    static Path model(String name) {
        String prop = System.getProperty("golden.dir");
        if (prop != null && Files.isDirectory(Paths.get(prop))) {
            return Paths.get(prop).resolve(name);
        }
        for (Path p = Paths.get("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("shared/golden"))) {
                return p.resolve("shared/golden").resolve(name);
            }
        }
        throw new IllegalStateException("shared/golden not found: set -Dgolden.dir");
    }
}
