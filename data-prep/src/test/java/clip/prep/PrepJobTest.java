package clip.prep;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.data.image.ImageDecoder;
import clip.prep.source.Fault;
import clip.prep.source.FaultKind;
import clip.io.BadInputException;
import clip.spark.SparkSessions;
import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrepJobTest {
    private static SparkSession spark;
    @TempDir
    Path tmp;

    @BeforeAll
    static void startSpark() {
        spark = SparkSessions.getOrCreate("prep-test", "local[2]");
    }

    @AfterAll
    static void stopSpark() {
        spark.stop();
    }

    private PrepConfig config(Path root, Path out, int perShard, boolean strict) {
        return new PrepConfig("coco", root.toString(), out.toString(), List.of(), 48, 90, perShard, strict);
    }

    private Manifest prep(PrepConfig config) throws IOException {
        return new PrepJob(config, spark, new PrintStream(new ByteArrayOutputStream())).run();
    }

    private static JsonNode manifestJson(Path out) throws IOException {
        return CocoFixture.JSON.readTree(out.resolve("manifest.json").toFile());
    }

    @Test
    void writesEveryImageAndCaptionIntoShardsThatSparkReads() throws Exception {
        CocoFixture coco = new CocoFixture(tmp.resolve("coco"), 12, 6);
        Path out = tmp.resolve("shards");
        Manifest m = prep(config(coco.root, out, 5, false));

        assertEquals(List.of("train/part-00000.parquet", "train/part-00001.parquet", "train/part-00002.parquet",
                "val/part-00000.parquet", "val/part-00001.parquet"), m.shards().stream().map(ShardSummary::name).toList());
        JsonNode counts = manifestJson(out).get("counts");
        assertEquals(18, counts.get("images_in").asInt());
        assertEquals(18, counts.get("images_written").asInt());
        assertEquals(90, counts.get("captions_written").asInt());
        assertEquals(12, counts.at("/splits/train/images").asInt());
        assertEquals(30, counts.at("/splits/val/captions").asInt());

        Dataset<Row> train = spark.read().parquet(out.resolve("train").toString());
        assertEquals(12, train.count());
        assertEquals("array<string>", train.schema().apply("captions").dataType().simpleString());
        Row first = train.orderBy("image_id").first();
        assertEquals(1L, first.<Long>getAs("image_id"));
        List<String> expected = new ArrayList<>();
        coco.captions("train").get("annotations").forEach(a -> {
            if (a.get("image_id").asLong() == 1) {
                expected.add(a.get("caption").asText());
            }
        });
        assertEquals(expected, first.getList(first.fieldIndex("captions")));
        BufferedImage image = ImageIO.read(new java.io.ByteArrayInputStream(first.<byte[]>getAs("jpeg")));
        assertEquals(48, Math.min(image.getWidth(), image.getHeight()), "shorter side resized to --image-size");
        assertEquals(image.getWidth(), first.<Integer>getAs("width"));
    }

    @Test
    void convertsFlickr30kKarpathySplitsKeepingEverySentence() throws Exception {
        Path root = tmp.resolve("flickr");
        new clip.prep.synth.SyntheticFlickr30k(64).write(root, 5, 2, 3, 11);
        Path out = tmp.resolve("shards");
        Manifest m = prep(new PrepConfig("flickr30k", root.toString(), out.toString(), List.of(), 48, 90, 4, false));
        assertEquals(List.of("test/part-00000.parquet", "train/part-00000.parquet", "train/part-00001.parquet",
                "val/part-00000.parquet"), m.shards().stream().map(ShardSummary::name).toList());
        JsonNode counts = manifestJson(out).get("counts");
        assertEquals(10, counts.get("images_written").asInt());
        assertEquals(50, counts.get("captions_written").asInt());
        assertEquals(3, counts.at("/splits/test/images").asInt());
        JsonNode karpathy = CocoFixture.JSON.readTree(root.resolve("dataset_flickr30k.json").toFile());
        Row first = spark.read().parquet(out.resolve("train").toString()).orderBy("image_id").first();
        assertEquals(karpathy.at("/images/0/filename").asText(), first.<String>getAs("file_name"));
        assertEquals(karpathy.at("/images/0/sentences/2/raw").asText(), first.getList(first.fieldIndex("captions")).get(2));

        Path onlyVal = tmp.resolve("val-only");
        Manifest v = prep(new PrepConfig("flickr30k", root.toString(), onlyVal.toString(), List.of("val"), 48, 90, 4, false));
        assertEquals(2, v.imagesWritten());
        assertEquals(2, v.listing().imagesIn(), "images of other splits are not counted as input");
    }

    @Test
    void everyKindOfFaultIsCountedNamedAndNothingIsLostSilently() throws Exception {
        CocoFixture coco = new CocoFixture(tmp.resolve("coco"), 10, 4);
        Files.delete(coco.image("train", 1));                       // missing file
        Files.write(coco.image("train", 2), new byte[0]);           // zero-byte
        coco.truncate(coco.image("train", 3), 300);                 // truncated JPEG
        BufferedImage png = ImageIO.read(coco.image("train", 4).toFile());
        ImageIO.write(png, "png", coco.image("train", 4).toFile()); // PNG under a .jpg name
        String nonAscii = "un café à Zürich, 東京の猫 🐈";
        coco.editCaptions("train", (images, annotations) -> {
            ((com.fasterxml.jackson.databind.node.ObjectNode) images.get(4)).put("width", 999);          // size mismatch (image 5)
            annotations.addObject().put("id", 9001).put("image_id", 424242).put("caption", "no such image"); // orphan caption
            annotations.addObject().put("id", 9002).put("image_id", 6).put("caption", "   \t ");       // whitespace-only caption
            annotations.addObject().put("id", 1).put("image_id", 6).put("caption", "duplicate id");     // duplicate annotation id
            annotations.addObject().put("id", 9003).put("image_id", 7).put("caption", nonAscii);
            images.addObject().put("id", 777).put("file_name", "000000000007.jpg").put("width", 1).put("height", 1); // no captions
        });
        Path out = tmp.resolve("shards");
        Manifest m = prep(config(coco.root, out, 4, false));

        JsonNode manifest = manifestJson(out);
        JsonNode kinds = manifest.at("/faults/counts");
        Map<String, Integer> expected = new HashMap<>();
        for (FaultKind k : FaultKind.values()) {
            expected.put(k.key(), 0);
        }
        expected.putAll(Map.of("missing_image_file", 1, "empty_image_file", 1, "undecodable_image", 1, "wrong_image_format", 1,
                "size_mismatch", 1, "caption_without_image", 1, "empty_caption", 1, "duplicate_caption_id", 1,
                "image_without_captions", 1));
        Map<String, Integer> actual = new HashMap<>();
        kinds.fields().forEachRemaining(e -> actual.put(e.getKey(), e.getValue().asInt()));
        assertEquals(expected, actual);

        JsonNode counts = manifest.get("counts");
        assertEquals(15, counts.get("images_in").asInt());
        assertEquals(4, counts.get("images_rejected").asInt(), "missing, empty, truncated, no captions");
        assertEquals(11, counts.get("images_written").asInt(), "the PNG and the size mismatch are still written");
        assertEquals(14 * 5 + 4, counts.get("captions_in").asInt());
        assertEquals(3 + 15, counts.get("captions_rejected").asInt(), "three bad captions and the captions of three lost images");
        assertEquals(counts.get("captions_in").asInt(), counts.get("captions_written").asInt() + counts.get("captions_rejected").asInt());
        List<String> lines = m.faults().stream().map(Fault::line).toList();
        assertTrue(lines.contains("missing_image_file: image 1 (train2017/000000000001.jpg): no such file"), lines.toString());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("wrong_image_format: image 4 (train2017/000000000004.jpg)")), lines.toString());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("size_mismatch: image 5 (train2017/000000000005.jpg): annotations say 999x")), lines.toString());

        List<Row> seven = spark.read().parquet(out.resolve("train").toString()).where("image_id = 7").collectAsList();
        assertTrue(seven.get(0).getList(seven.get(0).fieldIndex("captions")).contains(nonAscii), "non-ASCII caption kept intact");
    }

    @Test
    void strictStopsAtTheFirstFaultNamingIt() throws Exception {
        CocoFixture coco = new CocoFixture(tmp.resolve("coco"), 6, 2);
        coco.truncate(coco.image("train", 3), 200);
        BadInputException e = assertThrows(BadInputException.class, () -> prep(config(coco.root, tmp.resolve("out"), 3, true)));
        assertTrue(e.getMessage().startsWith("--strict: undecodable_image: image 3 (train2017/000000000003.jpg)"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("out/manifest.json")));
    }

    @Test
    void sameInputAndConfigGiveIdenticalShards() throws Exception {
        CocoFixture coco = new CocoFixture(tmp.resolve("coco"), 8, 3);
        prep(config(coco.root, tmp.resolve("a"), 3, false));
        prep(config(coco.root, tmp.resolve("b"), 3, false));
        try (Stream<Path> files = Files.walk(tmp.resolve("a"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".parquet")).toList()) {
                Path twin = tmp.resolve("b").resolve(tmp.resolve("a").relativize(f));
                assertArrayEquals(Files.readAllBytes(f), Files.readAllBytes(twin), f.toString());
            }
        }
        assertEquals(Files.readString(tmp.resolve("a/manifest.json")), Files.readString(tmp.resolve("b/manifest.json")));
    }

    @Test
    void aRerunAfterAKilledRunKeepsFinishedShardsAndRedoesTheRest() throws Exception {
        CocoFixture coco = new CocoFixture(tmp.resolve("coco"), 9, 3);
        Path out = tmp.resolve("shards");
        prep(config(coco.root, out, 3, false));
        String manifest = Files.readString(out.resolve("manifest.json"));
        Path kept = out.resolve("train/part-00000.parquet");
        Files.setLastModifiedTime(kept, java.nio.file.attribute.FileTime.fromMillis(1_000_000));
        // What a kill leaves behind: a shard whose summary was committed but not the shard itself,
        // a half-written file in _tmp, and no manifest.
        Files.delete(out.resolve("train/part-00001.parquet"));
        Files.createDirectories(out.resolve("_tmp"));
        Files.write(out.resolve("_tmp/train-2-deadbeef.parquet"), new byte[] {'P', 'A', 'R'});
        Files.delete(out.resolve("manifest.json"));

        ByteArrayOutputStream log = new ByteArrayOutputStream();
        new PrepJob(config(coco.root, out, 3, false), spark, new PrintStream(log)).run();
        assertTrue(log.toString().contains("4 shards of up to 3 images; 3 already written"), log.toString());
        assertEquals(1_000_000, Files.getLastModifiedTime(kept).toMillis(), "a finished shard is not rewritten");
        assertEquals(manifest, Files.readString(out.resolve("manifest.json")), "the resumed run ends where an uninterrupted one does");
        assertFalse(Files.exists(out.resolve("_tmp")));
    }

    @Test
    void aRerunWithOtherSettingsReplacesShardsAndNeverDuplicatesImages() throws Exception {
        CocoFixture coco = new CocoFixture(tmp.resolve("coco"), 10, 2);
        Path out = tmp.resolve("shards");
        prep(config(coco.root, out, 2, false));
        prep(config(coco.root, out, 4, false));
        assertEquals(10, spark.read().parquet(out.resolve("train").toString()).count());
        assertEquals(4, manifestJson(out).get("shards").size(), "train 4+4+2, val 2");
        try (Stream<Path> files = Files.walk(out.resolve("train"))) {
            assertEquals(3, files.filter(p -> p.toString().endsWith(".parquet")).count());
        }
    }

    @Test
    void malformedJsonIsOneLineNamingFileAndPosition() throws Exception {
        CocoFixture coco = new CocoFixture(tmp.resolve("coco"), 3, 1);
        Path file = coco.root.resolve("annotations/captions_val2017.json");
        coco.truncate(file, (int) Files.size(file) / 2);
        BadInputException e = assertThrows(BadInputException.class, () -> prep(config(coco.root, tmp.resolve("out"), 3, false)));
        assertTrue(e.getMessage().startsWith("annotations/captions_val2017.json: malformed JSON at line 1, column "), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }

    @Test
    void readsBackItsOwnRows() throws Exception {
        CocoFixture coco = new CocoFixture(tmp.resolve("coco"), 2, 1);
        Path out = tmp.resolve("shards");
        prep(config(coco.root, out, 5, false));
        List<ShardSchema.Row> rows = ShardReader.read(new org.apache.hadoop.fs.Path(out.resolve("val/part-00000.parquet").toString()),
                new Configuration());
        assertEquals(1, rows.size());
        assertEquals(1_000_000L, rows.get(0).imageId());
        assertEquals(5, rows.get(0).captionIds().size());
        assertEquals(48, Math.min(new ImageDecoder().decode(rows.get(0).jpeg()).rgb().getWidth(),
                new ImageDecoder().decode(rows.get(0).jpeg()).rgb().getHeight()));
    }
}
