package clip.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.data.ShapeScene;
import clip.data.SyntheticShapes;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A generated labelled image folder (one folder per shape, train/ and val/, some files a level
 * deeper, three broken files) through prep, training and evaluation: the faults are counted as for
 * COCO, and zero-shot accuracy is over the folder classes.
 */
class ImageFolderPrepTest {
    @TempDir
    static Path tmp;
    private static Path root;
    private static Path shards;
    private static List<String> classes;
    private String stdout;
    private String stderr;

    @BeforeAll
    static void generateAndPrep() throws IOException {
        root = tmp.resolve("folders");
        classes = new ArrayList<>(SyntheticShapes.categories());
        classes.sort(null);
        int i = 0;
        for (ShapeScene scene : SyntheticShapes.scenes(96, 5)) {
            String split = i % 4 == 0 ? "val" : "train";
            String deeper = i % 3 == 0 ? "more/" : "";
            Path file = root.resolve(split + "/" + scene.shape().replace(' ', '_') + "/" + deeper + "img" + i++ + ".jpg");
            Files.createDirectories(file.getParent());
            ImageIO.write(scene.render(32), "jpg", file.toFile());
        }
        Path someClass = root.resolve("train/" + classes.get(0).replace(' ', '_'));
        Files.write(someClass.resolve("empty.jpg"), new byte[0]);
        Files.writeString(someClass.resolve("broken.jpg"), "not an image");
        ImageIO.write(SyntheticShapes.scenes(1, 9).get(0).render(32), "png", someClass.resolve("really_a_png.jpg").toFile());
        Files.writeString(someClass.resolve("labels.csv"), "ignored: not an image extension");
        shards = tmp.resolve("shards");
    }

    private int run(Command command, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String[] argv = new String[args.length + 1];
        argv[0] = command.name();
        System.arraycopy(args, 0, argv, 1, args.length);
        Cli cli = command instanceof PrepCommand ? new Cli().register(command, "strict") : new Cli().register(command);
        int code = cli.run(argv, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        stdout = out.toString(StandardCharsets.UTF_8);
        stderr = err.toString(StandardCharsets.UTF_8);
        return code;
    }

    @Test
    void prepTrainAndEvaluateOnALabelledFolder() throws IOException {
        assertEquals(0, run(new PrepCommand(), "--format", "imagefolder", "--root", root.toString(), "--out", shards.toString(),
                "--image-size", "16", "--master", "local[2]"), stderr);
        JsonNode m = new ObjectMapper().readTree(shards.resolve("manifest.json").toFile());
        assertEquals("imagefolder", m.at("/source/format").asText());
        List<String> recorded = new ArrayList<>();
        m.at("/source/classes").forEach(c -> recorded.add(c.asText()));
        assertEquals(classes, recorded);
        assertEquals(99, m.at("/counts/images_in").asInt());
        assertEquals(97, m.at("/counts/images_written").asInt());
        assertEquals(2, m.at("/counts/images_rejected").asInt());
        assertEquals(24, m.at("/counts/splits/val/images").asInt());
        assertEquals(1, m.at("/faults/counts/empty_image_file").asInt());
        assertEquals(1, m.at("/faults/counts/undecodable_image").asInt());
        assertEquals(1, m.at("/faults/counts/wrong_image_format").asInt());
        assertTrue(stdout.contains("prep: rejected 2 images and 2 captions"), stdout);

        Path trained = tmp.resolve("run");
        assertEquals(0, run(new TrainCommand(), "tiny", "data.source=shards", "data.shards=" + shards, "train.steps=2",
                "train.warmup-steps=1", "output.dir=" + trained), stderr);
        JsonNode metrics = new ObjectMapper().readTree(trained.resolve("metrics.json").toFile());
        assertEquals(24, metrics.path("images").asInt());
        assertEquals(classes.size(), metrics.at("/zero_shot/classes").asInt(), metrics.toString());

        Path model = TestData.dualEncoder(tmp.resolve("model"));
        Path out = tmp.resolve("eval");
        assertEquals(0, run(new EvalCommand(), "--model", model.toString(), "--data", shards.toString(), "--out", out.toString()),
                stderr);
        JsonNode eval = new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
        assertEquals(classes.size(), eval.at("/zero_shot/classes").asInt(), eval.toString());
        assertEquals(24, eval.path("captions").asInt(), "one caption per image from the default template");
    }

    @Test
    void strictModeStopsAtTheFirstBrokenFileNamingIt() {
        assertEquals(2, run(new PrepCommand(), "--format", "imagefolder", "--root", root.toString(), "--out",
                tmp.resolve("strict").toString(), "--image-size", "16", "--strict", "--master", "local[1]"));
        String line = stderr.strip();
        assertFalse(line.contains("\n"), stderr);
        assertTrue(line.contains(classes.get(0).replace(' ', '_') + "/broken.jpg") || line.contains("/empty.jpg"), stderr);
    }
}
