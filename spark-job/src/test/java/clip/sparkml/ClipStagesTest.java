package clip.sparkml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.cli.Cli;
import clip.cli.EmbedCommand;
import clip.cli.TestData;
import clip.eval.EncoderModel;
import clip.eval.ZeroShot;
import clip.io.BadInputException;
import clip.prep.ShardReader;
import clip.spark.SparkSessions;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkException;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The Pipelines stages and SQL functions on a local session, with the golden dual encoder (random
 * weights): the embeddings are {@code bin/clip embed}'s for the same rows of a prepped dataset, and
 * EncoderModel's for image files read as bytes, as the {@code image} source's structs and by path.
 */
class ClipStagesTest {
    private static final float TOLERANCE = 1e-5f;
    @TempDir
    static Path tmp;
    private static Path model;
    private static Path shards;
    private static Path index;
    private static Path pngs;
    private static SparkSession spark;
    private static EncoderModel encoder;

    @BeforeAll
    static void prepareAndEmbed() throws IOException {
        model = TestData.dualEncoder(tmp.resolve("model"));
        shards = tmp.resolve("shards");
        TestData.cocoAndShards(tmp.resolve("coco"), shards, 6);
        index = tmp.resolve("index");
        assertEquals(0, new Cli().register(new EmbedCommand()).run(new String[] {"embed", "--model", model.toString(), "--data",
                shards.toString(), "--out", index.toString(), "--batch", "4", "--master", "local[2]"}, System.out, System.err));
        spark = SparkSessions.getOrCreate("sparkml-test", "local[2]");
        encoder = EncoderModel.load(model, 64, "test");
        pngs = tmp.resolve("pngs");
        Files.createDirectories(pngs);
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 3; i++) {
            BufferedImage image = new BufferedImage(40 + 10 * i, 30 + 7 * i, BufferedImage.TYPE_3BYTE_BGR);
            for (int y = 0; y < image.getHeight(); y++) {
                for (int x = 0; x < image.getWidth(); x++) {
                    image.setRGB(x, y, random.nextInt(1 << 24));
                }
            }
            ImageIO.write(image, "png", pngs.resolve("img" + i + ".png").toFile());
        }
    }

    @AfterAll
    static void stopSpark() {
        spark.stop();
    }

    private static Dataset<Row> shardRows() throws IOException {
        org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path(shards.toString());
        List<String> files = ShardReader.shardsOf(ShardReader.manifest(root, new Configuration()), root, "val").stream()
                .map(Object::toString).toList();
        return spark.read().parquet(files.toArray(new String[0]));
    }

    private ClipEmbedder embedder(String column) {
        return new ClipEmbedder().setModelPath(model.toString()).setInputCol(column).setBatchSize(4);
    }

    private static float[] floats(Row row, String column) {
        return TestData.floats(row, column);
    }

    private static float[] imageEmbedding(byte[] file) throws Exception {
        int size = encoder.images().size();
        float[] chw = new float[3 * size * size];
        encoder.images().toChw(file, chw, 0);
        return encoder.model().encodeImages(Nd4j.create(chw, new long[] {1, 3, size, size})).toFloatVector();
    }

    @Test
    void imageAndTextEmbeddingsAreThoseOfBinClipEmbedForTheSameRows() throws IOException {
        Map<Long, float[]> indexed = new HashMap<>();
        spark.read().parquet(index.resolve("images").toString()).collectAsList()
                .forEach(r -> indexed.put(r.getLong(0), floats(r, "embedding")));
        Dataset<Row> out = embedder("jpeg").transform(shardRows());
        assertEquals("array<float>", out.schema().apply("embedding").dataType().simpleString());
        List<Row> rows = out.select("image_id", "embedding").collectAsList();
        assertEquals(6, rows.size());
        for (Row r : rows) {
            float[] e = floats(r, "embedding");
            assertArrayEquals(indexed.get(r.getLong(0)), e, TOLERANCE, "image " + r.getLong(0));
            assertEquals(1.0, Nd4j.createFromArray(e).norm2Number().doubleValue(), 1e-5);
        }

        Map<String, float[]> texts = new HashMap<>();
        spark.read().parquet(index.resolve("texts").toString()).collectAsList()
                .forEach(r -> texts.put(r.getString(2), floats(r, "embedding")));
        Dataset<Row> captions = shardRows().selectExpr("explode(captions) AS caption");
        List<Row> embedded = embedder("caption").setOutputCol("e").transform(captions).collectAsList();
        assertEquals(30, embedded.size());
        assertEquals(texts.size(), embedded.stream().map(r -> r.getString(0)).distinct().count());
        for (Row r : embedded) {
            assertArrayEquals(texts.get(r.getString(0)), floats(r, "e"), TOLERANCE, r.getString(0));
        }
    }

    @Test
    void bytesImageStructsAndPathsOfTheSameFilesEmbedAlike() throws Exception {
        Dataset<Row> files = spark.read().format("binaryFile").load(pngs.toString());
        Map<String, float[]> byPath = new HashMap<>();
        for (Row r : embedder("content").transform(files).collectAsList()) {
            float[] expected = imageEmbedding((byte[]) r.get(r.fieldIndex("content")));
            assertArrayEquals(expected, floats(r, "embedding"), TOLERANCE);
            byPath.put(new org.apache.hadoop.fs.Path(r.getString(r.fieldIndex("path"))).getName(), expected);
        }
        assertEquals(3, byPath.size());
        for (Row r : embedder("path").setInputKind("path").transform(files.select("path")).collectAsList()) {
            String name = new org.apache.hadoop.fs.Path(r.getString(0)).getName();
            assertArrayEquals(byPath.get(name), floats(r, "embedding"), TOLERANCE, name);
        }
        Dataset<Row> structs = spark.read().format("image").load(pngs.toString());
        List<Row> fromStructs = embedder("image").transform(structs).collectAsList();
        assertEquals(3, fromStructs.size());
        for (Row r : fromStructs) {
            String origin = new org.apache.hadoop.fs.Path(r.getStruct(0).getString(0)).getName();
            assertArrayEquals(byPath.get(origin), floats(r, "embedding"), TOLERANCE, origin);
        }
    }

    private Dataset<Row> withBadRows() throws IOException {
        byte[] good = Files.readAllBytes(pngs.resolve("img0.png"));
        StructType schema = new StructType().add("id", DataTypes.IntegerType).add("content", DataTypes.BinaryType);
        List<Row> rows = List.of(RowFactory.create(0, good), RowFactory.create(1, null),
                RowFactory.create(2, "not an image".getBytes()), RowFactory.create(3, good));
        return spark.createDataFrame(rows, schema).coalesce(1);
    }

    @Test
    void nullAndUndecodableRowsGiveNullAndAreCounted() throws IOException {
        ClipEmbedder stage = embedder("content");
        // One action, no sort: a sort's sampling pass would run the stage twice and count twice.
        List<Row> rows = new ArrayList<>(stage.transform(withBadRows()).collectAsList());
        rows.sort(java.util.Comparator.comparingInt(r -> r.getInt(0)));
        assertNotNull(rows.get(0).get(2));
        assertNull(rows.get(1).get(2));
        assertNull(rows.get(2).get(2));
        assertArrayEquals(floats(rows.get(0), "embedding"), floats(rows.get(3), "embedding"), TOLERANCE);
        assertEquals(2, stage.badRows().value());
    }

    @Test
    void strictModeFailsWithOneLineNamingTheRow() {
        SparkException e = assertThrows(SparkException.class,
                () -> embedder("content").setStrict(true).transform(withBadRows()).collectAsList());
        Throwable cause = e;
        while (cause.getCause() != null) {
            cause = cause.getCause();
        }
        assertTrue(cause instanceof BadInputException, cause.toString());
        assertEquals("row 1 of partition 0 (column content) is null (strict mode; without it the embedding is null and counted)",
                cause.getMessage());
        assertFalse(cause.getMessage().contains("\n"));
    }

    @Test
    void stagesAndPipelinesWriteAndReadBack() throws IOException {
        ClipEmbedder stage = embedder("content").setOutputCol("vec").setStrict(true).setMaxTextLength(20);
        stage.write().overwrite().save(tmp.resolve("stage").toString());
        ClipEmbedder back = ClipEmbedder.load(tmp.resolve("stage").toString());
        assertEquals(stage.uid(), back.uid());
        assertEquals(stage.extractParamMap().toString(), back.extractParamMap().toString());

        ClipZeroShot zeroShot = new ClipZeroShot().setModelPath(model.toString()).setInputCol("content")
                .setClassNames("red", "blue").setTemplates("a {} thing", "{}");
        PipelineModel pipeline = new Pipeline().setStages(new PipelineStage[] {stage, zeroShot}).fit(
                spark.read().format("binaryFile").load(pngs.toString()));
        pipeline.write().overwrite().save(tmp.resolve("pipeline").toString());
        PipelineModel loaded = PipelineModel.load(tmp.resolve("pipeline").toString());
        Dataset<Row> files = spark.read().format("binaryFile").load(pngs.toString());
        List<Row> a = pipeline.transform(files).orderBy("path").select("vec", "prediction", "probability").collectAsList();
        List<Row> b = loaded.transform(files).orderBy("path").select("vec", "prediction", "probability").collectAsList();
        assertEquals(a, b);
        assertEquals(List.of("red", "blue"), List.of(((ClipZeroShot) loaded.stages()[1]).getOrDefault(zeroShot.classNames())));
    }

    @Test
    void zeroShotPicksTheNearestClassWithItsSoftmaxProbability() throws Exception {
        List<String> classes = List.of("red circle", "blue square", "green triangle");
        List<String> templates = List.of("a photo of a {}.", "a {}");
        List<Row> rows = new ClipZeroShot().setModelPath(model.toString()).setInputCol("content")
                .setClassNames(classes.toArray(new String[0])).setTemplates(templates.toArray(new String[0]))
                .transform(spark.read().format("binaryFile").load(pngs.toString())).collectAsList();
        List<String> prompts = new ArrayList<>();
        classes.forEach(c -> templates.forEach(t -> prompts.add(t.replace("{}", c))));
        INDArray classEmbeddings = ZeroShot.classEmbeddings(encoder.embedder(64, "test", null).texts(prompts, "prompts"),
                classes.size(), templates.size());
        double scale = Math.exp(encoder.model().logitScale().value().getDouble(0));
        assertEquals(3, rows.size());
        for (Row r : rows) {
            INDArray image = Nd4j.createFromArray(imageEmbedding((byte[]) r.get(r.fieldIndex("content"))));
            double[] logits = classEmbeddings.mmul(image.reshape(-1, 1)).mul(scale).toDoubleVector();
            int best = 0;
            double sum = 0;
            for (int k = 0; k < logits.length; k++) {
                best = logits[k] > logits[best] ? k : best;
            }
            for (double l : logits) {
                sum += Math.exp(l - logits[best]);
            }
            assertEquals(classes.get(best), r.getString(r.fieldIndex("prediction")));
            assertEquals(1 / sum, r.getDouble(r.fieldIndex("probability")), 1e-5);
        }
    }

    @Test
    void sqlFunctionsRankImagesByTheirSimilarityToAText() throws Exception {
        ClipFunctions.register(spark, model.toString(), 64, false);
        spark.read().format("binaryFile").load(pngs.toString()).createOrReplaceTempView("pictures");
        List<Row> ranked = spark.sql("SELECT path, clip_similarity(clip_embed_image(content), clip_embed_text('a red circle')) AS s, "
                + "clip_embed_image_path(path) AS byPath, clip_embed_image(content) AS byBytes FROM pictures "
                + "ORDER BY clip_similarity(clip_embed_image(content), clip_embed_text('a red circle')) DESC").collectAsList();
        assertEquals(3, ranked.size());
        float[] text = encoder.embedder(64, "test", null).texts(List.of("a red circle"), "texts").toFloatVector();
        double previous = Double.POSITIVE_INFINITY;
        for (Row r : ranked) {
            float[] image = imageEmbedding(Files.readAllBytes(Path.of(new java.net.URI(r.getString(0)))));
            double expected = 0;
            for (int d = 0; d < image.length; d++) {
                expected += image[d] * text[d];
            }
            assertEquals(expected, r.getDouble(1), 1e-5);
            assertTrue(r.getDouble(1) <= previous);
            previous = r.getDouble(1);
            assertArrayEquals(image, floats(r, "byBytes"), TOLERANCE);
            assertArrayEquals(image, floats(r, "byPath"), TOLERANCE);
        }
        assertNull(spark.sql("SELECT clip_embed_image(CAST('junk' AS BINARY)) AS e").first().get(0));
    }
}
