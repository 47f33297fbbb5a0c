package clip.prep;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same input and settings give byte-identical shards in separate JVMs (Parquet's writer lists
 * each column chunk's encodings in the order of a HashSet of enum constants, which differs from
 * one JVM to the next unless the footer is normalised).
 */
class ShardBytesTest {
    @TempDir
    Path tmp;

    @Test
    void shardsWrittenInSeparateJvmsAreByteIdentical() throws Exception {
        CocoFixture coco = new CocoFixture(tmp.resolve("coco"), 8, 0);
        List<Process> writers = new ArrayList<>();
        for (int run = 0; run < 3; run++) {
            writers.add(new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                    System.getProperty("java.class.path"), WriteShards.class.getName(), coco.root.toString(),
                    tmp.resolve("out" + run).toString(), String.valueOf(run * 7919)).redirectErrorStream(true).start());
        }
        List<List<byte[]>> runs = new ArrayList<>();
        for (int run = 0; run < writers.size(); run++) {
            Process p = writers.get(run);
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(2, TimeUnit.MINUTES), "the writer JVM hung");
            assertEquals(0, p.exitValue(), output);
            runs.add(shards(tmp.resolve("out" + run).resolve("train")));
        }
        assertEquals(2, runs.get(0).size(), "8 images, 4 per shard");
        for (int run = 1; run < runs.size(); run++) {
            for (int shard = 0; shard < runs.get(0).size(); shard++) {
                assertArrayEquals(runs.get(0).get(shard), runs.get(run).get(shard), "run " + run + ", shard " + shard);
            }
        }
    }

    private static List<byte[]> shards(Path dir) throws Exception {
        List<byte[]> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(f -> f.toString().endsWith(".parquet")).sorted().toList()) {
                out.add(Files.readAllBytes(f));
            }
        }
        return out;
    }
}
