package clip.cli;

import clip.io.SafeTensors;
import clip.layers.Init;
import clip.model.ContrastiveModel;
import clip.model.HfModels;
import clip.model.StateDict;
import clip.testutil.Golden;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.nd4j.linalg.api.buffer.DataType;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AttentionCommandTest {
    @TempDir
    Path tmp;

    private String stdout;
    private String stderr;

    private int attention(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new Cli().register(new AttentionCommand()).run(Stream.concat(Stream.of("attention"), Stream.of(args))
                .toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        stdout = out.toString(StandardCharsets.UTF_8);
        stderr = err.toString(StandardCharsets.UTF_8).trim();
        return code;
    }

    /** A 50x38 picture (not the models' 32x32 input, not square): a red disc on a blue-grey field. */
    private Path image() throws Exception {
        BufferedImage im = new BufferedImage(50, 38, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = im.createGraphics();
        g.setColor(new Color(90, 110, 140));
        g.fillRect(0, 0, 50, 38);
        g.setColor(Color.RED);
        g.fillOval(8, 6, 20, 20);
        g.dispose();
        Path file = tmp.resolve("scene.png");
        ImageIO.write(im, "png", file.toFile());
        return file;
    }

    @Test
    void drawsTheImageAndItsAttentionSideBySideForEachVisionModelFamily() throws Exception {
        Path image = image();
        BufferedImage input = ImageIO.read(image.toFile());
        for (String model : new String[] {"vit", "clip", "dual"}) {
            Path out = tmp.resolve(model + "/attention.png");
            assertEquals(0, attention("--model", Golden.path(model).toString(), "--image", image.toString(),
                    "--out", out.toString()), stderr);
            assertTrue(stdout.contains("2 layers, 4x4 patches"), stdout);
            BufferedImage picture = ImageIO.read(out.toFile());
            int[] panel = clip.plot.AttentionOverlay.panelSize(input);
            assertEquals(384, panel[0], "the 50x38 image scaled up");
            assertTrue(picture.getWidth() > 2 * panel[0] && picture.getHeight() > panel[1], model);
            int top = clip.plot.AttentionOverlay.HEADER;
            int left = clip.plot.AttentionOverlay.MARGIN;
            int right = 2 * left + panel[0];
            assertEquals(input.getRGB(2, 2), picture.getRGB(left + 10, top + 10), model + ": the image as it is on the left");
            int heat = picture.getRGB(right + 10, top + 10);
            assertNotEquals(input.getRGB(2, 2), heat, model + ": the heat map is blended in on the right");
            assertTrue(stdout.contains("attention rollout of " + model), stdout);
        }
    }

    @Test
    void aMissingImageIsAOneLineErrorNamingIt() {
        Path missing = tmp.resolve("nope.jpg");
        assertEquals(2, attention("--model", Golden.path("vit").toString(), "--image", missing.toString(),
                "--out", tmp.resolve("o.png").toString()));
        assertEquals("error: " + missing + ": no such image file", stderr);
        assertFalse(Files.exists(tmp.resolve("o.png")));
    }

    @Test
    void otherUserMistakesAreOneLineErrorsToo() throws Exception {
        Path image = image();
        Path notImage = tmp.resolve("notes.png");
        Files.writeString(notImage, "not a png");
        assertEquals(2, attention("--model", Golden.path("vit").toString(), "--image", notImage.toString(),
                "--out", tmp.resolve("o.png").toString()));
        assertTrue(stderr.startsWith("error: " + notImage + ": not an image"), stderr);

        assertEquals(2, attention("--model", Golden.path("bert").toString(), "--image", image.toString(),
                "--out", tmp.resolve("o.png").toString()));
        assertTrue(stderr.contains("has no vision tower"), stderr);

        Path resnetDual = resnetDualEncoder(tmp.resolve("resnet-dual"));
        assertEquals(2, attention("--model", resnetDual.toString(), "--image", image.toString(),
                "--out", tmp.resolve("o.png").toString()));
        assertEquals("error: " + resnetDual + ": its vision tower is ResNetModel, and attention maps need a transformer "
                + "one (ViT or CLIP's)", stderr);

        assertEquals(2, attention("--model", Golden.path("vit").toString(), "--image", image.toString(),
                "--out", tmp.resolve("o.png").toString(), "--alpha", "2"));
        assertEquals("error: option --alpha expects a number in [0, 1], got '2'", stderr);

        // A preprocessor_config.json that disagrees with the model's input size names itself.
        Path model = tmp.resolve("vit-copy");
        Files.createDirectories(model);
        for (String f : new String[] {"config.json", "model.safetensors"}) {
            Files.copy(Golden.path("vit").resolve(f), model.resolve(f));
        }
        Files.writeString(model.resolve("preprocessor_config.json"),
                "{\"image_mean\": [0.5, 0.5, 0.5], \"image_std\": [0.5, 0.5, 0.5], \"size\": {\"height\": 224, \"width\": 224}}");
        assertEquals(2, attention("--model", model.toString(), "--image", image.toString(), "--out", tmp.resolve("o.png").toString()));
        assertEquals("error: " + model.resolve("preprocessor_config.json")
                + ": images of 224 pixels, but the model's vision tower takes 32", stderr);
        for (String s : stderr.split("\n")) {
            assertTrue(s.startsWith("error: "), "one line: " + stderr);
        }
    }

    /** A dual encoder whose vision tower is the golden ResNet, with the golden BERT for text. */
    private static Path resnetDualEncoder(Path dir) throws Exception {
        Files.createDirectories(dir);
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = json.createObjectNode().put("model_type", "vision-text-dual-encoder").put("projection_dim", 8);
        config.set("vision_config", json.readTree(Golden.path("resnet").resolve("config.json").toFile()));
        config.set("text_config", json.readTree(Golden.path("bert").resolve("config.json").toFile()));
        ContrastiveModel model = HfModels.build(config, "resnet-dual", new Init(1, DataType.FLOAT, 0.02), null).asContrastive();
        json.writeValue(dir.resolve("config.json").toFile(), config);
        SafeTensors.write(dir.resolve("model.safetensors"), StateDict.export(model, ""));
        return dir;
    }

    @Test
    void thePreprocessorConfigsNormalisationIsUsed() throws Exception {
        Path image = image();
        Path model = tmp.resolve("vit-copy");
        Files.createDirectories(model);
        for (String f : new String[] {"config.json", "model.safetensors"}) {
            Files.copy(Golden.path("vit").resolve(f), model.resolve(f));
        }
        Path plain = tmp.resolve("plain.png");
        assertEquals(0, attention("--model", model.toString(), "--image", image.toString(), "--out", plain.toString()), stderr);
        Files.writeString(model.resolve("preprocessor_config.json"),
                "{\"image_mean\": [0.1, 0.9, 0.2], \"image_std\": [0.05, 0.3, 0.1], \"size\": {\"height\": 32, \"width\": 32}}");
        Path shifted = tmp.resolve("shifted.png");
        assertEquals(0, attention("--model", model.toString(), "--image", image.toString(), "--out", shifted.toString()), stderr);
        BufferedImage a = ImageIO.read(plain.toFile());
        BufferedImage b = ImageIO.read(shifted.toFile());
        int differing = 0;
        for (int y = 0; y < a.getHeight(); y++) {
            for (int x = 0; x < a.getWidth(); x++) {
                differing += a.getRGB(x, y) != b.getRGB(x, y) ? 1 : 0;
            }
        }
        assertTrue(differing > 100, "other pixel values give the model other attention: " + differing + " pixels differ");
    }
}
