package clip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.testutil.Golden;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The map of the code: every package lives in exactly one module, and the core stays free of
 * cluster code (the core's pom also bans such dependencies with the enforcer plugin; this catches an
 * import that arrives through a dependency the ban does not name).
 */
class ModuleLayoutTest {
    private static final List<String> MODULES = List.of("core", "data-prep", "spark-job");
    private static final List<String> CLUSTER_IMPORTS = List.of("org.apache.spark", "org.apache.hadoop", "org.apache.parquet",
            "io.netty", "com.typesafe", "org.knowm.xchart");

    @Test
    void everyPackageIsInExactlyOneModule() throws IOException {
        Map<String, Set<String>> modulesOf = new TreeMap<>();
        for (String module : MODULES) {
            for (String tree : List.of("src/main/java", "src/test/java")) {
                for (Path file : javaFiles(root().resolve(module).resolve(tree))) {
                    String pkg = root().resolve(module).resolve(tree).relativize(file.getParent()).toString().replace('/', '.');
                    modulesOf.computeIfAbsent(pkg, k -> new TreeSet<>()).add(module);
                }
            }
        }
        assertTrue(modulesOf.size() > 20, "found only " + modulesOf.keySet());
        Map<String, Set<String>> split = new TreeMap<>();
        modulesOf.forEach((pkg, modules) -> {
            if (modules.size() > 1) {
                split.put(pkg, modules);
            }
        });
        assertEquals(Map.of(), split, "packages split over modules");
    }

    @Test
    void coreImportsNoClusterOrPlottingCode() throws IOException {
        List<String> offending = new ArrayList<>();
        for (Path file : javaFiles(root().resolve("core/src/main/java"))) {
            for (String line : Files.readAllLines(file)) {
                for (String prefix : CLUSTER_IMPORTS) {
                    if (line.startsWith("import " + prefix + ".") || line.startsWith("import static " + prefix + ".")) {
                        offending.add(root().relativize(file) + ": " + line);
                    }
                }
            }
        }
        assertEquals(List.of(), offending);
    }

    /**
     * No two packages depend on each other, however indirectly (issue 12: clip.train and the
     * exchange, TrainConfig -> Validation -> TrainWorker, the prep sources and clip.prep). A
     * dependency is a name of another package's class in code; comments do not count.
     */
    @Test
    void packagesDependOnEachOtherOneWayOnly() throws IOException {
        java.util.regex.Pattern use = java.util.regex.Pattern.compile("\\b(clip(?:\\.[a-z][a-z0-9]*)*)\\.[A-Z]");
        Map<String, Set<String>> uses = new TreeMap<>();
        for (String module : MODULES) {
            Path tree = root().resolve(module).resolve("src/main/java");
            for (Path file : javaFiles(tree)) {
                String pkg = tree.relativize(file.getParent()).toString().replace('/', '.');
                String code = Files.readString(file).replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("(?m)^\\s*//.*$", "");
                java.util.regex.Matcher m = use.matcher(code);
                while (m.find()) {
                    if (!m.group(1).equals(pkg)) {
                        uses.computeIfAbsent(pkg, k -> new TreeSet<>()).add(m.group(1));
                    }
                }
            }
        }
        assertTrue(uses.getOrDefault("clip.train", Set.of()).contains("clip.exchange"), "the scan sees imports: " + uses);
        List<String> cycles = new ArrayList<>();
        uses.forEach((from, targets) -> targets.stream().filter(to -> reaches(uses, to, from, new TreeSet<>()))
                .forEach(to -> cycles.add(from + " -> " + to + " -> ... -> " + from)));
        assertEquals(List.of(), cycles);
    }

    private static boolean reaches(Map<String, Set<String>> uses, String from, String to, Set<String> seen) {
        if (from.equals(to)) {
            return true;
        }
        return seen.add(from) && uses.getOrDefault(from, Set.of()).stream().anyMatch(next -> reaches(uses, next, to, seen));
    }

    private static Path root() {
        return Golden.dir().getParent().getParent();
    }

    private static List<Path> javaFiles(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(p -> p.toString().endsWith(".java")).sorted().toList();
        }
    }
}
