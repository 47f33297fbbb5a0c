package clip.cli;

import clip.testutil.Golden;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.eval.EncoderModel;
import clip.eval.Evaluator;
import clip.eval.Templates;
import clip.validation.EvalSet;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import org.apache.hadoop.conf.Configuration;
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
            assertEquals(bruteForce(data), m, "metrics.json against brute-force ranks over the same embeddings");
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

    /**
     * The metrics of {@code data} recomputed from the evaluation's embeddings with the ranking
     * rules written out by hand (double precision, every pair scored): what each caption belongs
     * to and each image's label come from the data, not from the evaluator.
     */
    private static JsonNode bruteForce(Path data) throws IOException {
        EncoderModel encoder = EncoderModel.load(model, 0, "test");
        EvalSet set = EvalSet.open(data.toString(), "val", Integer.MAX_VALUE, new Configuration());
        Evaluator.Report r = encoder.evaluate(set.inputs(encoder.images()), Templates.named(Templates.CLIP_80), null);
        double[][] img = r.images().toDoubleMatrix();
        double[][] cap = r.captions().toDoubleMatrix();
        // The similarities as float products, as retrieval takes them: the ranks below recount the
        // rules (ties against the query, an image's own captions not competing) from those numbers,
        // since a near-tie in the last float bit could otherwise rank differently in double.
        float[][] imageToText = org.nd4j.linalg.factory.Nd4j.gemm(r.images(), r.captions(), false, true).toFloatMatrix();
        float[][] textToImage = org.nd4j.linalg.factory.Nd4j.gemm(r.captions(), r.images(), false, true).toFloatMatrix();
        List<Integer> owner = new ArrayList<>();
        for (int i = 0; i < set.items().size(); i++) {
            for (String c : set.items().get(i).captions()) {
                owner.add(i);
            }
        }
        List<Integer> textRanks = new ArrayList<>();
        for (int c = 0; c < cap.length; c++) {
            float right = textToImage[c][owner.get(c)];
            int rank = 1;
            for (int i = 0; i < img.length; i++) {
                rank += i != owner.get(c) && textToImage[c][i] >= right ? 1 : 0;
            }
            textRanks.add(rank);
        }
        List<Integer> imageRanks = new ArrayList<>();
        for (int i = 0; i < img.length; i++) {
            int best = Integer.MAX_VALUE;
            for (int c = 0; c < cap.length; c++) {
                if (owner.get(c) == i) {
                    float right = imageToText[i][c];
                    int rank = 1;
                    for (int o = 0; o < cap.length; o++) {
                        rank += o != c && owner.get(o) != i && imageToText[i][o] >= right ? 1 : 0;
                    }
                    best = Math.min(best, rank);
                }
            }
            imageRanks.add(best);
        }
        double[][] cls = r.classes().toDoubleMatrix();
        List<Integer> classRanks = new ArrayList<>();
        for (int i = 0; i < img.length; i++) {
            int label = set.items().get(i).label();
            if (label >= 0) {
                int rank = 1;
                for (int k = 0; k < cls.length; k++) {
                    rank += k != label && dot(img[i], cls[k]) >= dot(img[i], cls[label]) ? 1 : 0;
                }
                classRanks.add(rank);
            }
        }
        ObjectNode m = new ObjectMapper().createObjectNode();
        m.set("image_to_text", recalls(imageRanks).put("median_rank", median(imageRanks)));
        m.set("text_to_image", recalls(textRanks).put("median_rank", median(textRanks)));
        m.putObject("zero_shot").put("top1", within(classRanks, 1)).put("top5", within(classRanks, 5)).put("classes", cls.length);
        return m.put("images", img.length).put("captions", cap.length);
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    private static ObjectNode recalls(List<Integer> ranks) {
        return new ObjectMapper().createObjectNode().put("R@1", within(ranks, 1)).put("R@5", within(ranks, 5))
                .put("R@10", within(ranks, 10));
    }

    private static double within(List<Integer> ranks, int k) {
        return 100.0 * ranks.stream().filter(x -> x <= k).count() / ranks.size();
    }

    private static double median(List<Integer> ranks) {
        List<Integer> s = ranks.stream().sorted().toList();
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2.0;
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
