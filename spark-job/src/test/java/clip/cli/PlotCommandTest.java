package clip.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlotCommandTest {
    @TempDir
    Path tmp;

    private String stdout;
    private String stderr;

    private int plot(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new Cli().register(new PlotCommand()).run(Stream.concat(Stream.of("plot"), Stream.of(args))
                .toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        stdout = out.toString(StandardCharsets.UTF_8);
        stderr = err.toString(StandardCharsets.UTF_8).trim();
        return code;
    }

    private Path run() throws Exception {
        Path run = tmp.resolve("run");
        Files.createDirectories(run);
        Files.write(run.resolve("train-log.jsonl"), List.of(
                "{\"step\":1,\"loss\":4.16,\"lr_image\":0.0001,\"grad_norm\":3.2,\"logit_scale\":2.6592}",
                "{\"step\":2,\"loss\":3.90,\"lr_image\":0.0002,\"grad_norm\":2.9,\"logit_scale\":2.6601}",
                "{\"step\":3,\"loss\":3.41,\"lr_image\":0.0003,\"grad_norm\":2.5,\"logit_scale\":2.6630}",
                "{\"step\":4,\"loss\":3.02,\"lr_image\":0.00025,\"grad_norm\":2.2,\"logit_scale\":2.6702}",
                "{\"step\":5,\"loss\":2.87,\"lr_image\":0.0002,\"grad_norm\":2.0,\"logit_scale\":2.6810}"));
        return run;
    }

    @Test
    void drawsTheCurvesIntoRunPlots() throws Exception {
        Path run = run();
        assertEquals(0, plot("--run", run.toString()), stderr);
        for (String name : new String[] {"loss", "learning-rate", "grad-norm", "logit-scale"}) {
            Path png = run.resolve("plots/" + name + ".png");
            assertTrue(stdout.contains("wrote " + png), stdout);
            BufferedImage image = ImageIO.read(png.toFile());
            assertEquals(900, image.getWidth(), name);
            assertEquals(500, image.getHeight(), name);
        }
        assertTrue(Files.notExists(run.resolve("plots/metrics.png")), "no evaluation log, no metrics chart");
    }

    @Test
    void anEvaluationLogAddsTheMetricsChartAndOutGoesElsewhere() throws Exception {
        Path run = run();
        Files.write(run.resolve("eval-log.jsonl"), List.of("{\"step\":3,\"text_to_image\":{\"R@1\":10.0,\"R@5\":31.0}}",
                "{\"step\":5,\"text_to_image\":{\"R@1\":14.0,\"R@5\":40.0}}"));
        Path out = tmp.resolve("elsewhere");
        assertEquals(0, plot("--run", run.toString(), "--out", out.toString()), stderr);
        assertEquals(5, stdout.lines().count(), stdout);
        assertEquals(900, ImageIO.read(out.resolve("metrics.png").toFile()).getWidth());
        assertTrue(Files.notExists(run.resolve("plots")));
    }

    @Test
    void userMistakesAreOneLineErrors() throws Exception {
        Path empty = tmp.resolve("empty");
        Files.createDirectories(empty);
        assertEquals(2, plot("--run", empty.toString()));
        assertEquals("error: " + empty.resolve("train-log.jsonl") + ": no such file (is " + empty
                + " a training run's output folder?)", stderr);
        Files.writeString(empty.resolve("train-log.jsonl"), "{\"step\":1,\"loss\":2}\nnot json\n");
        assertEquals(2, plot("--run", empty.toString()));
        assertTrue(stderr.startsWith("error: " + empty.resolve("train-log.jsonl") + " line 2: malformed JSON"), stderr);
        assertEquals(1, stderr.lines().count(), stderr);
        assertEquals(2, plot("--run", tmp.resolve("absent").toString()));
        assertEquals("error: " + tmp.resolve("absent") + ": no such run directory", stderr);
    }
}
