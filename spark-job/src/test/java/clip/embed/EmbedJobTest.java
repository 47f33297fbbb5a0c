package clip.embed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.cli.Cli;
import clip.cli.EmbedCommand;
import clip.cli.IndexCommand;
import clip.cli.SearchCommand;
import clip.cli.TestData;
import clip.prep.ShardReader;
import clip.prep.ShardSchema;
import clip.eval.EncoderModel;
import clip.io.BadInputException;
import clip.spark.SparkSessions;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * bin/clip embed and bin/clip search on 12 generated validation images (60 captions) and the
 * golden dual encoder (random weights), cut into parts of 5 images so three Spark tasks share the work.
 */
class EmbedJobTest {
    private static final double TOLERANCE = 1e-5;
    @TempDir
    static Path tmp;
    private static Path model;
    private static Path coco;
    private static Path shards;
    private static Path index;
    private static String embedOutput;
    private static SparkSession spark;
    private static EncoderModel encoder;
    private static List<ShardSchema.Row> rows;
    private String stdout;
    private String stderr;

    @BeforeAll
    static void embedOnce() throws IOException {
        model = TestData.dualEncoder(tmp.resolve("model"));
        coco = tmp.resolve("coco");
        shards = tmp.resolve("shards");
        TestData.cocoAndShards(coco, shards, 12);
        index = tmp.resolve("index");
        // Through the command line first: it starts and stops its own Spark session.
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(0, new Cli().register(new EmbedCommand()).run(new String[] {"embed", "--model", model.toString(), "--data",
                shards.toString(), "--out", index.toString(), "--rows-per-part", "5", "--batch", "4", "--master", "local[2]"},
                new PrintStream(out, true, StandardCharsets.UTF_8), System.err));
        embedOutput = out.toString(StandardCharsets.UTF_8);
        spark = SparkSessions.getOrCreate("embed-test", "local[2]");
        encoder = EncoderModel.load(model, 64, "test");
        rows = new ArrayList<>();
        for (org.apache.hadoop.fs.Path shard : ShardReader.shardsOf(manifest(shards), new org.apache.hadoop.fs.Path(shards.toString()),
                "val")) {
            rows.addAll(ShardReader.read(shard, new Configuration()));
        }
    }

    @AfterAll
    static void stopSpark() {
        spark.stop();
    }

    private static JsonNode manifest(Path dir) throws IOException {
        return new ObjectMapper().readTree(dir.resolve("manifest.json").toFile());
    }

    private static EmbedJob.Result embed(Path out, String what, int rowsPerPart, ByteArrayOutputStream log) throws IOException {
        EmbedConfig config = new EmbedConfig(model.toString(), shards.toString(), out.toString(), "val", Side.parse(what), 4,
                rowsPerPart, 64);
        return new EmbedJob(config, spark, new PrintStream(log, true, StandardCharsets.UTF_8)).run();
    }

    private int search(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String[] argv = Stream.concat(Stream.of("search"), Stream.of(args)).toArray(String[]::new);
        int code = new Cli().register(new SearchCommand(), "json", "exact").run(argv, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        stdout = out.toString(StandardCharsets.UTF_8);
        stderr = err.toString(StandardCharsets.UTF_8);
        return code;
    }

    private static INDArray imageEmbedding(byte[] file) throws Exception {
        int size = encoder.images().size();
        float[] chw = new float[3 * size * size];
        encoder.images().toChw(file, chw, 0);
        return encoder.model().encodeImages(Nd4j.create(chw, new long[] {1, 3, size, size}, DataType.FLOAT));
    }

    private static INDArray textEmbedding(String text) {
        return encoder.model().encodeTexts(encoder.text().encode(List.of(text)));
    }

    private static float[] floats(Row row) {
        List<Float> values = row.getList(row.fieldIndex("embedding"));
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i);
        }
        return out;
    }

    @Test
    void theIndexHoldsEveryRowOfTheSplitOnceWithTheModelsOwnNormalisedEmbeddings() throws Exception {
        assertTrue(embedOutput.contains("embed: 3/3 parts, 72/72 embeddings"), embedOutput);
        assertTrue(embedOutput.contains("embed: wrote " + index + ": 12 images, 60 captions, 32-dim, 3 parts"), embedOutput);
        JsonNode m = manifest(index);
        JsonNode split = manifest(shards).at("/counts/splits/val");
        assertEquals(split.get("images").asLong(), m.at("/counts/images").asLong());
        assertEquals(split.get("captions").asLong(), m.at("/counts/texts").asLong());
        assertEquals(32, m.get("embedding_dim").asInt());
        List<Integer> partRows = new ArrayList<>();
        long imageRows = 0;
        long textRows = 0;
        for (JsonNode part : m.get("parts")) {
            partRows.add(part.get("rows").asInt());
            imageRows += part.at("/files/images/rows").asLong();
            textRows += part.at("/files/texts/rows").asLong();
            assertTrue(Files.isRegularFile(index.resolve(part.at("/files/texts/path").asText())));
        }
        assertEquals(List.of(5, 5, 2), partRows);
        assertEquals(12, imageRows);
        assertEquals(60, textRows);
        byte[] weights = Files.readAllBytes(model.resolve("model.safetensors"));
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(weights)),
                m.at("/model/files/model.safetensors").asText(), "the weights' hash is sha256sum's");

        Dataset<Row> images = spark.read().parquet(index.resolve("images").toString());
        Dataset<Row> texts = spark.read().parquet(index.resolve("texts").toString());
        assertEquals("array<float>", images.schema().apply("embedding").dataType().simpleString());
        assertEquals(List.of("image_id", "file", "embedding"), List.of(images.schema().fieldNames()));
        assertEquals(List.of("image_id", "caption_index", "caption", "embedding"), List.of(texts.schema().fieldNames()));
        assertEquals(12, images.select("image_id").distinct().count());
        assertEquals(60, texts.select("image_id", "caption_index").distinct().count());

        Map<Long, Row> imageById = new HashMap<>();
        images.collectAsList().forEach(r -> imageById.put(r.getLong(0), r));
        Map<String, Row> textByKey = new HashMap<>();
        texts.collectAsList().forEach(r -> textByKey.put(r.getLong(0) + "/" + r.getInt(1), r));
        for (ShardSchema.Row row : rows) {
            Row image = imageById.get(row.imageId());
            assertEquals(row.fileName(), image.getString(1));
            float[] expected = imageEmbedding(row.jpeg()).toFloatVector();
            float[] actual = floats(image);
            assertArrayEquals(expected, actual, (float) TOLERANCE, "image " + row.imageId());
            assertEquals(1.0, Nd4j.createFromArray(actual).norm2Number().doubleValue(), 1e-5);
        }
        for (ShardSchema.Row row : rows.subList(0, 3)) {
            for (int c = 0; c < row.captions().size(); c++) {
                Row text = textByKey.get(row.imageId() + "/" + c);
                assertEquals(row.captions().get(c), text.getString(2));
                assertArrayEquals(textEmbedding(row.captions().get(c)).toFloatVector(), floats(text), (float) TOLERANCE);
            }
        }
    }

    @Test
    void aRerunRedoesOnlyTheMissingPartAndWritesTheSameBytes() throws Exception {
        Path copy = tmp.resolve("resumed");
        List<Path> files;
        try (Stream<Path> all = Files.walk(index)) {
            files = all.filter(Files::isRegularFile).map(index::relativize).toList();
        }
        Map<Path, byte[]> before = new HashMap<>();
        for (Path f : files) {
            Files.createDirectories(copy.resolve(f).getParent());
            Files.copy(index.resolve(f), copy.resolve(f));
            before.put(f, Files.readAllBytes(index.resolve(f)));
        }
        Path kept = copy.resolve("images/part-00000.parquet");
        Files.setLastModifiedTime(kept, java.nio.file.attribute.FileTime.fromMillis(1_000_000_000_000L));
        Files.delete(copy.resolve("images/part-00001.parquet"));

        ByteArrayOutputStream log = new ByteArrayOutputStream();
        EmbedJob.Result r = embed(copy, "both", 5, log);
        assertEquals(List.of("part-00001"), r.written().stream().map(PartSummary::name).toList(), log.toString());
        assertTrue(log.toString().contains("3 parts; 2 already embedded by an earlier run"), log.toString());
        assertEquals(1_000_000_000_000L, Files.getLastModifiedTime(kept).toMillis(), "a committed part is not rewritten");
        for (Path f : files) {
            if (f.toString().endsWith(".parquet")) {
                assertArrayEquals(before.get(f), Files.readAllBytes(copy.resolve(f)), f.toString());
            }
        }
        assertEquals(manifest(index).get("parts"), manifest(copy).get("parts"));
    }

    @Test
    void aTextFindsTheSameNearestImagesAsTheModelComputedOneByOne() throws Exception {
        String query = rows.get(4).captions().get(0);
        assertEquals(0, search("--model", model.toString(), "--index", index.toString(), query, "--top", "4", "--json"), stderr);
        JsonNode results = new ObjectMapper().readTree(stdout).get("results");
        float[] q = textEmbedding(query).toFloatVector();
        List<ShardSchema.Row> byScore = new ArrayList<>(rows);
        Map<Long, Double> score = new HashMap<>();
        for (ShardSchema.Row row : rows) {
            score.put(row.imageId(), dot(q, imageEmbedding(row.jpeg()).toFloatVector()));
        }
        byScore.sort(Comparator.comparingDouble((ShardSchema.Row row) -> -score.get(row.imageId())));
        assertEquals(4, results.size());
        for (int i = 0; i < 4; i++) {
            JsonNode hit = results.get(i);
            assertEquals(i + 1, hit.get("rank").asInt());
            assertEquals(score.get(hit.get("image_id").asLong()), hit.get("score").asDouble(), TOLERANCE, stdout);
            assertEquals(score.get(byScore.get(i).imageId()), hit.get("score").asDouble(), TOLERANCE, stdout);
            assertEquals(rows.stream().filter(row -> row.imageId() == hit.get("image_id").asLong()).findFirst().orElseThrow().fileName(),
                    hit.get("file").asText());
        }

        assertEquals(0, search("--model", model.toString(), "--index", index.toString(), query), stderr);
        assertTrue(stdout.startsWith("search: nearest to \"" + query + "\" among the 12 images of " + index + " (split val; exact)"), stdout);
        assertEquals(6, stdout.lines().count(), "a header and the default five results: " + stdout);
        assertTrue(stdout.lines().skip(1).findFirst().orElseThrow().matches(" {2}1 [ -]0\\.\\d{4} {2}image " + results.get(0)
                .get("image_id").asLong() + " {2}\\S+\\.jpg"), stdout);
    }

    @Test
    void anImageFindsTheSameNearestCaptionsAsTheModelComputedOneByOne() throws Exception {
        Path file = coco.resolve("val2017").resolve(rows.get(7).fileName());
        assertEquals(0, search("--model", model.toString(), "--index", index.toString(), "--image", file.toString(), "--top", "3",
                "--json"), stderr);
        JsonNode results = new ObjectMapper().readTree(stdout).get("results");
        float[] q = imageEmbedding(Files.readAllBytes(file)).toFloatVector();
        List<Double> scores = new ArrayList<>();
        for (ShardSchema.Row row : rows) {
            for (String caption : row.captions()) {
                scores.add(dot(q, textEmbedding(caption).toFloatVector()));
            }
        }
        scores.sort(Comparator.reverseOrder());
        for (int i = 0; i < 3; i++) {
            JsonNode hit = results.get(i);
            assertEquals(scores.get(i), hit.get("score").asDouble(), TOLERANCE, stdout);
            ShardSchema.Row owner = rows.stream().filter(r -> r.imageId() == hit.get("image_id").asLong()).findFirst().orElseThrow();
            String caption = owner.captions().get(hit.get("caption_index").asInt());
            assertEquals(caption, hit.get("caption").asText());
            assertEquals(dot(q, textEmbedding(caption).toFloatVector()), hit.get("score").asDouble(), TOLERANCE);
        }
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }

    @Test
    void searchRefusesWhatItCannotAnswerWithOneLine() throws Exception {
        Path missing = tmp.resolve("no-index");
        assertEquals(2, search("--model", model.toString(), "--index", missing.toString(), "a circle"));
        assertTrue(stderr.contains(missing + ": no manifest.json"), stderr);
        assertEquals(1, stderr.strip().lines().count(), stderr);

        Path other = tmp.resolve("other-model");
        Files.createDirectories(other);
        for (String f : List.of("config.json", "model.safetensors", "vocab.txt")) {
            Files.copy(model.resolve(f), other.resolve(f));
        }
        try (var ch = Files.newByteChannel(other.resolve("model.safetensors"), StandardOpenOption.WRITE)) {
            // The last bytes are weights, not header: the file still loads, but it is another model.
            ch.position(Files.size(other.resolve("model.safetensors")) - 1);
            ch.write(java.nio.ByteBuffer.wrap(new byte[] {42}));
        }
        assertEquals(2, search("--model", other.toString(), "--index", index.toString(), "a circle"));
        assertTrue(stderr.contains("is not the model " + index + " was embedded with") && stderr.contains("its model.safetensors differs"),
                stderr);
        assertEquals(1, stderr.strip().lines().count(), stderr);

        Path imagesOnly = tmp.resolve("images-only");
        embed(imagesOnly, "image", 12, new ByteArrayOutputStream());
        assertEquals(List.of("images"), List.of(manifest(imagesOnly).get("sides").get(0).asText()));
        assertTrue(Files.notExists(imagesOnly.resolve("texts")));
        String image = coco.resolve("val2017").resolve(rows.get(0).fileName()).toString();
        assertEquals(2, search("--model", model.toString(), "--index", imagesOnly.toString(), "--image", image));
        assertTrue(stderr.contains(imagesOnly + " has no texts embeddings (embedded with --what image)"), stderr);
        assertEquals(0, search("--model", model.toString(), "--index", imagesOnly.toString(), "a circle"), stderr);

        assertEquals(2, search("--model", model.toString(), "--index", index.toString()));
        assertTrue(stderr.contains("missing query"), stderr);
        assertEquals(2, search("--model", model.toString(), "--index", index.toString(), "a circle", "--image", image));
        assertTrue(stderr.contains("not both"), stderr);
    }

    @Test
    void embedRefusesAMissingModelOrSplitOrAForeignOutputFolderBeforeAnyWork() {
        EmbedConfig noModel = new EmbedConfig(tmp.resolve("nothing").toString(), shards.toString(), tmp.resolve("x").toString(), "val",
                Side.parse("both"), 4, 5, 64);
        BadInputException e = assertThrows(BadInputException.class, () -> new EmbedJob(noModel, spark, System.out).run());
        assertTrue(e.getMessage().endsWith("nothing: no such model directory"), e.getMessage());
        EmbedConfig noSplit = new EmbedConfig(model.toString(), shards.toString(), tmp.resolve("x").toString(), "test",
                Side.parse("both"), 4, 5, 64);
        e = assertThrows(BadInputException.class, () -> new EmbedJob(noSplit, spark, System.out).run());
        assertTrue(e.getMessage().contains("lists no shard of split 'test'"), e.getMessage());
        EmbedConfig intoTheData = new EmbedConfig(model.toString(), shards.toString(), shards.toString(), "val", Side.parse("both"), 4,
                5, 64);
        e = assertThrows(BadInputException.class, () -> new EmbedJob(intoTheData, spark, System.out).run());
        assertTrue(e.getMessage().contains("is not an embedding index (it has "), e.getMessage());
        assertTrue(Files.exists(shards.resolve("manifest.json")), "nothing of the data was touched");
        assertNotEquals(null, assertThrows(BadInputException.class, () -> Side.parse("images")).getMessage());
    }

    private static Path copyOfIndex(String name) throws IOException {
        Path copy = tmp.resolve(name);
        try (Stream<Path> all = Files.walk(index)) {
            for (Path f : all.filter(Files::isRegularFile).toList()) {
                Files.createDirectories(copy.resolve(index.relativize(f)).getParent());
                Files.copy(f, copy.resolve(index.relativize(f)));
            }
        }
        return copy;
    }

    private static String indexCommand(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        String[] argv = Stream.concat(Stream.of("index"), Stream.of(args)).toArray(String[]::new);
        assertEquals(0, new Cli().register(new IndexCommand()).run(argv, new PrintStream(out, true, StandardCharsets.UTF_8), System.err));
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void embedThenIndexThenSearchGivesTheExactSearchesResults() throws Exception {
        Path ann = copyOfIndex("with-ann");
        String built = indexCommand("--index", ann.toString(), "--min-rows", "0");
        assertTrue(built.contains("index: images: 12 vectors of 32, M=16, beam width 100"), built);
        assertTrue(built.contains("index: texts: 60 vectors of 32"), built);
        String text = rows.get(4).captions().get(0);
        String image = coco.resolve("val2017").resolve(rows.get(7).fileName()).toString();
        for (List<String> query : List.of(List.of(text), List.of("--image", image))) {
            List<String> args = new ArrayList<>(List.of("--model", model.toString(), "--index", ann.toString(), "--top", "6", "--json"));
            args.addAll(query);
            assertEquals(0, search(args.toArray(String[]::new)), stderr);
            JsonNode approximate = new ObjectMapper().readTree(stdout);
            assertTrue(approximate.get("method").asText().startsWith("approximate: HNSW M=16"), stdout);
            args.add("--exact");
            assertEquals(0, search(args.toArray(String[]::new)), stderr);
            JsonNode exact = new ObjectMapper().readTree(stdout);
            assertEquals("exact", exact.get("method").asText());
            assertEquals(6, exact.get("results").size());
            for (int i = 0; i < 6; i++) {
                JsonNode a = approximate.get("results").get(i);
                JsonNode e = exact.get("results").get(i);
                assertEquals(e.get("score").asDouble(), a.get("score").asDouble(), 1e-6, stdout);
                ((com.fasterxml.jackson.databind.node.ObjectNode) a).remove("score");
                ((com.fasterxml.jackson.databind.node.ObjectNode) e).remove("score");
                assertEquals(e, a, "rank, image id and file or caption as the exact search's");
            }
        }
        assertEquals(0, search("--model", model.toString(), "--index", ann.toString(), text), stderr);
        assertTrue(stdout.lines().findFirst().orElseThrow().endsWith("(split val; approximate: HNSW M=16, beam width 100, best 5 of "
                + SearchCommand.DEFAULT_CANDIDATES + " candidates)"), stdout);

        // A damaged index is refused in one line, never searched.
        Path graph;
        try (Stream<Path> files = Files.list(ann.resolve("ann/images"))) {
            graph = files.filter(f -> f.toString().endsWith(".vex")).findFirst().orElseThrow();
        }
        Files.write(graph, new byte[] {1, 2, 3});
        assertEquals(2, search("--model", model.toString(), "--index", ann.toString(), text));
        assertTrue(stderr.startsWith("error: " + graph + ": 3 bytes, the approximate index's record says"), stderr);
        assertEquals(1, stderr.strip().lines().count(), stderr);
        assertEquals(0, search("--model", model.toString(), "--index", ann.toString(), text, "--exact"), stderr);

        // Embedding again makes the graph stale: embed removes it with the manifest, and search is exact again.
        embed(ann, "both", 5, new ByteArrayOutputStream());
        assertTrue(Files.notExists(ann.resolve("ann")));
        assertEquals(0, search("--model", model.toString(), "--index", ann.toString(), text), stderr);
        assertTrue(stdout.lines().findFirst().orElseThrow().endsWith("(split val; exact)"), stdout);
    }

    @Test
    void aSmallIndexIsLeftToTheExactSearch() throws Exception {
        Path small = copyOfIndex("small");
        String built = indexCommand("--index", small.toString());
        assertTrue(built.contains("index: images: 12 rows, fewer than --min-rows 10000: searched exactly, no approximate index"), built);
        assertTrue(built.contains("index: texts: 60 rows, fewer than --min-rows 10000"), built);
        assertTrue(Files.notExists(small.resolve("ann/images.json")));
        assertEquals(0, search("--model", model.toString(), "--index", small.toString(), "a circle"), stderr);
        assertTrue(stdout.lines().findFirst().orElseThrow().endsWith("(split val; exact)"), stdout);
    }
}
