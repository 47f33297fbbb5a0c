package clip.embed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.cli.SearchCommand;
import clip.io.BadInputException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The approximate index on 20,000 generated unit vectors (uniform on the sphere, 64 dimensions:
 * the hard case for a graph, small enough to build in seconds), at the default settings, against
 * the true nearest neighbours; and its refusals of an index that is incomplete, damaged or stale.
 */
class AnnIndexTest {
    private static final int ROWS = 20_000;
    private static final int QUERIES = 200;
    private static final int K = 10;
    /** One cluster with a spread far beyond the centre: uniform on the sphere. */
    private static final GeneratedIndex.Vectors UNIFORM = new GeneratedIndex.Vectors(5, 64, 1, 1000.0);

    @TempDir
    static Path tmp;
    private static Path built;
    private static String buildLog;

    @BeforeAll
    static void buildOnce() throws IOException {
        built = tmp.resolve("index");
        GeneratedIndex.write(new org.apache.hadoop.fs.Path(built.toUri()), UNIFORM, ROWS, 3_000, new Configuration());
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        AnnIndexBuilder.build(open(built), Side.IMAGES, new AnnIndexBuilder.Settings(AnnIndexBuilder.DEFAULT_M,
                AnnIndexBuilder.DEFAULT_BEAM_WIDTH), 2, new PrintStream(log, true, StandardCharsets.UTF_8));
        buildLog = log.toString(StandardCharsets.UTF_8);
    }

    private static EmbeddingIndex open(Path dir) throws IOException {
        return EmbeddingIndex.open(dir.toString(), new Configuration());
    }

    /** The true nearest {@code K} rows by brute force in double precision. */
    private static long[] nearest(float[] q) {
        double[] score = new double[ROWS];
        for (int i = 0; i < ROWS; i++) {
            float[] v = UNIFORM.row(i);
            double s = 0;
            for (int j = 0; j < v.length; j++) {
                s += (double) q[j] * v[j];
            }
            score[i] = s;
        }
        return java.util.stream.IntStream.range(0, ROWS).boxed().sorted((a, b) -> Double.compare(score[b], score[a])).limit(K)
                .mapToLong(Integer::longValue).toArray();
    }

    @Test
    void recallAtTenAgainstTheTrueNearestIsAtLeast095AtTheDefaults() throws IOException {
        double recall = 0;
        try (AnnIndex ann = AnnIndex.open(open(built), Side.IMAGES)) {
            assertEquals(ROWS, ann.manifest().rows());
            for (int q = 0; q < QUERIES; q++) {
                float[] query = UNIFORM.query(q);
                List<EmbeddingIndex.Hit> hits = ann.nearest(query, K, SearchCommand.DEFAULT_CANDIDATES);
                assertEquals(K, hits.size());
                for (int i = 0; i < K; i++) {
                    assertEquals(i + 1, hits.get(i).rank());
                    assertEquals("row-" + hits.get(i).imageId(), hits.get(i).file());
                    assertTrue(i == 0 || hits.get(i - 1).score() >= hits.get(i).score(), "best first");
                }
                Set<Long> found = new HashSet<>();
                hits.forEach(h -> found.add(h.imageId()));
                recall += Arrays.stream(nearest(query)).filter(found::contains).count() / (double) K;
            }
        }
        recall /= QUERIES;
        System.out.printf("ann recall@10 on %d uniform 64-d vectors: %.4f%n", ROWS, recall);
        assertTrue(recall >= 0.95, "recall@10 " + recall);
    }

    @Test
    void theApproximateHitsHaveTheExactSearchsFormAndScores() throws IOException {
        EmbeddingIndex index = open(built);
        float[] query = UNIFORM.query(1000);
        List<EmbeddingIndex.Hit> exact = index.nearest(Nd4j.create(query, new long[] {1, query.length}, DataType.FLOAT), Side.IMAGES, K);
        try (AnnIndex ann = AnnIndex.open(index, Side.IMAGES)) {
            // With every row a candidate the graph search is as exhaustive as it gets: the same hits, in the same order.
            List<EmbeddingIndex.Hit> approximate = ann.nearest(query, K, 2_000);
            assertEquals(exact.stream().map(EmbeddingIndex.Hit::imageId).toList(), approximate.stream().map(EmbeddingIndex.Hit::imageId)
                    .toList());
            for (int i = 0; i < K; i++) {
                EmbeddingIndex.Hit a = approximate.get(i);
                EmbeddingIndex.Hit e = exact.get(i);
                assertEquals(e.score(), a.score(), 1e-6);
                assertEquals(new EmbeddingIndex.Hit(e.rank(), a.score(), e.imageId(), e.file(), e.captionIndex(), e.caption()), a);
            }
        }
    }

    private static Path copy() throws IOException {
        Path copy = Files.createTempDirectory(tmp, "copy");
        try (Stream<Path> all = Files.walk(built)) {
            for (Path f : all.filter(Files::isRegularFile).toList()) {
                Files.createDirectories(copy.resolve(built.relativize(f)).getParent());
                Files.copy(f, copy.resolve(built.relativize(f)));
            }
        }
        return copy;
    }

    private static String refusal(Path index) {
        BadInputException e = assertThrows(BadInputException.class, () -> AnnIndex.open(open(index), Side.IMAGES).close());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertTrue(e.getMessage().endsWith("rebuild it with bin/clip index --index " + index + ", or search with --exact"),
                e.getMessage());
        return e.getMessage();
    }

    private static Path lucene(Path index, String suffix) throws IOException {
        try (Stream<Path> files = Files.list(index.resolve("ann/images"))) {
            return files.filter(f -> f.getFileName().toString().endsWith(suffix)).findFirst().orElseThrow();
        }
    }

    @Test
    void aMissingTruncatedOrDamagedFileIsRefusedInOneLineNamingIt() throws IOException {
        Path missing = copy();
        Path vectors = lucene(missing, ".vec");
        Files.delete(vectors);
        assertTrue(refusal(missing).startsWith(vectors + ": missing from the approximate index"));

        Path truncated = copy();
        Path graph = lucene(truncated, ".vex");
        long size = Files.size(graph);
        try (var ch = Files.newByteChannel(graph, StandardOpenOption.WRITE)) {
            ch.truncate(size - 100);
        }
        assertTrue(refusal(truncated).startsWith(graph + ": " + (size - 100) + " bytes, the approximate index's record says " + size));

        // Same size, one byte changed in the vectors' metadata: Lucene's own checksum catches it.
        Path damaged = copy();
        Path meta = lucene(damaged, ".vem");
        byte[] bytes = Files.readAllBytes(meta);
        bytes[bytes.length / 2] ^= 0x5a;
        Files.write(meta, bytes);
        assertTrue(refusal(damaged).startsWith(damaged.resolve("ann/images") + ": unreadable approximate index (CorruptIndexException"),
                refusal(damaged));
    }

    @Test
    void anIncompleteOrStaleIndexIsRefusedInOneLine() throws IOException {
        Path unfinished = copy();
        Files.delete(unfinished.resolve("ann/images.json"));
        assertTrue(AnnIndex.exists(open(unfinished), Side.IMAGES), "a folder without its record is still an index to refuse");
        assertTrue(refusal(unfinished).contains("approximate index without its record images.json"));

        Path garbled = copy();
        Files.writeString(garbled.resolve("ann/images.json"), "{\"version\": 1, \"side\": ");
        assertTrue(refusal(garbled).contains("not a readable approximate index record"));

        // The embeddings written again (here: the manifest changed) make the graph stale.
        Path stale = copy();
        Files.writeString(stale.resolve("manifest.json"), Files.readString(stale.resolve("manifest.json")).replace("\"generated\"",
                "\"generated again\""));
        Files.delete(stale.resolve(".manifest.json.crc")); // as embed's own rewrite leaves a matching one
        assertTrue(refusal(stale).contains("built from other embeddings than " + stale + "/manifest.json now lists"));
    }

    @Test
    void buildingReplacesAnEarlierIndexAndLogsProgress() throws IOException {
        assertTrue(buildLog.contains("index: images: 20000 vectors added"), buildLog);
        Path again = copy();
        AnnManifest second = AnnIndexBuilder.build(open(again), Side.IMAGES, new AnnIndexBuilder.Settings(8, 40), 1,
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        assertEquals(8, second.m());
        try (AnnIndex ann = AnnIndex.open(open(again), Side.IMAGES)) {
            assertEquals(40, ann.manifest().beamWidth());
            assertEquals(K, ann.nearest(UNIFORM.query(3), K, 50).size());
        }
        assertThrows(BadInputException.class, () -> new AnnIndexBuilder.Settings(1, 100));
        assertThrows(BadInputException.class, () -> new AnnIndexBuilder.Settings(16, 0));
    }
}
