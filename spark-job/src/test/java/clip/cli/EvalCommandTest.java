package clip.cli;

import clip.testutil.Golden;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bin/clip eval on the golden dual encoder (random weights: the test is about the plumbing and the metrics file). */
class EvalCommandTest {
    @TempDir
    static Path tmp;
    private static Path model;
    private static Path coco;
    private static Path shards;
    private String stdout;
    private String stderr;

    @BeforeAll
    static void modelAndData() throws IOException {
        model = TestData.dualEncoder(tmp.resolve("model"));
        coco = tmp.resolve("coco");
        shards = tmp.resolve("shards");
        TestData.cocoAndShards(coco, shards, 12);
    }

    private int eval(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String[] argv = new String[args.length + 1];
        argv[0] = "eval";
        System.arraycopy(args, 0, argv, 1, args.length);
        int code = new Cli().register(new EvalCommand()).run(argv, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        stdout = out.toString(StandardCharsets.UTF_8);
        stderr = err.toString(StandardCharsets.UTF_8);
        return code;
    }

    private static Set<String> keys(JsonNode node) {
        Set<String> names = new HashSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void writesTheMetricsOfEveryCaptionOfTheSplitFromShardsOrACocoRoot() throws Exception {
        for (Path data : List.of(shards, coco)) {
            Path out = tmp.resolve("eval-" + data.getFileName());
            assertEquals(0, eval("--model", model.toString(), "--data", data.toString(), "--out", out.toString()), stderr);
            JsonNode m = new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
            assertEquals(Set.of("image_to_text", "text_to_image", "zero_shot", "images", "captions"), keys(m));
            assertEquals(Set.of("R@1", "R@5", "R@10", "median_rank"), keys(m.get("image_to_text")));
            assertEquals(Set.of("top1", "top5", "classes"), keys(m.get("zero_shot")));
            assertEquals(12, m.get("images").asInt());
            assertEquals(60, m.get("captions").asInt());
            assertEquals(4, m.at("/zero_shot/classes").asInt());
            assertEquals(100.0, m.at("/zero_shot/top5").asDouble(), "four classes: the right one is always in the top five");
            for (String d : List.of("/image_to_text/", "/text_to_image/")) {
                double r1 = m.at(d + "R@1").asDouble();
                double r5 = m.at(d + "R@5").asDouble();
                double r10 = m.at(d + "R@10").asDouble();
                assertTrue(0 <= r1 && r1 <= r5 && r5 <= r10 && r10 <= 100, m.toString());
            }
            assertTrue(Files.readString(out.resolve("summary.txt")).contains("image to text"), stdout);
            List<String> pictures;
            try (var files = Files.list(out.resolve("pictures"))) {
                pictures = files.map(f -> f.getFileName().toString()).sorted().toList();
            }
            assertEquals(12, pictures.size(), "three pictures for each of four images: " + pictures);
            for (String kind : List.of("text-to-image", "image-to-text", "zero-shot")) {
                assertEquals(4, pictures.stream().filter(f -> f.endsWith("-" + kind + ".png")).count(), kind);
            }
            for (String f : pictures) {
                java.awt.image.BufferedImage png = javax.imageio.ImageIO.read(out.resolve("pictures").resolve(f).toFile());
                assertTrue(png != null && png.getWidth() > 200 && png.getHeight() > 100, f);
            }
        }
    }

    @Test
    void limitAndTemplatesAreHonoured() throws Exception {
        Path templates = Files.writeString(tmp.resolve("t.txt"), "# mine\na drawing of a {}\n");
        Path out = tmp.resolve("limited");
        assertEquals(0, eval("--model", model.toString(), "--data", shards.toString(), "--out", out.toString(), "--limit", "5",
                "--templates", templates.toString(), "--pictures", "0"), stderr);
        assertTrue(!Files.exists(out.resolve("pictures")), "--pictures 0 draws nothing");
        assertTrue(stdout.contains("embedded 4/4 prompts"), stdout);
        assertEquals(5, new ObjectMapper().readTree(out.resolve("metrics.json").toFile()).get("images").asInt());
    }

    @Test
    void refusesWhatItCannotEvaluateWithOneLine() throws Exception {
        Path bert = Golden.path("bert");
        assertEquals(2, eval("--model", bert.toString(), "--data", shards.toString(), "--out", tmp.resolve("x").toString()));
        assertTrue(stderr.contains("eval needs a CLIPModel or VisionTextDualEncoderModel"), stderr);
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertEquals(2, eval("--model", model.toString(), "--data", empty.toString(), "--out", tmp.resolve("x").toString()));
        assertTrue(stderr.contains(empty + ": neither data-prep shards"), stderr);
        Path bad = Files.writeString(tmp.resolve("bad.txt"), "a photo\n");
        assertEquals(2, eval("--model", model.toString(), "--data", shards.toString(), "--out", tmp.resolve("x").toString(),
                "--templates", bad.toString()));
        assertTrue(stderr.contains("has no {}"), stderr);
        assertEquals(1, stderr.strip().lines().count(), stderr);
    }
}
