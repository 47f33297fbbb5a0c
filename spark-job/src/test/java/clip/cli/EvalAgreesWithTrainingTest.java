package clip.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training's final validation and bin/clip eval of the model it exported, on the same split with
 * the same templates, write the same metrics.json byte for byte (issue 13 §3: they used to differ
 * in the batching of embeddings, which broke exact ties between repeated captions at random, and
 * in where captions were cut).
 */
class EvalAgreesWithTrainingTest {
    @TempDir
    Path tmp;

    private String run(Command command, String... argv) {
        return run(new Cli().register(command), argv);
    }

    private String run(Cli cli, String... argv) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = cli.run(argv, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void trainingsValidationAndEvalOfTheExportedModelWriteTheSameMetrics() throws Exception {
        Path coco = tmp.resolve("coco");
        Path shards = tmp.resolve("shards");
        run(new GenerateCommand(), "generate", "--out", coco.toString(), "--train", "64", "--val", "80", "--long-side", "32");
        run(new Cli().register(new PrepCommand(), "strict"), "prep", "--format", "coco", "--root", coco.toString(), "--out", shards.toString(), "--image-size", "16",
                "--master", "local[1]");
        // 80 images and 400 captions: more than one evaluation batch of each. Captions cut at 6
        // tokens: most generated captions are longer, so where they are cut changes the numbers.
        Path trained = tmp.resolve("run");
        String log = run(new TrainCommand(), "train", "tiny", "data.source=shards", "data.shards=" + shards, "train.steps=20",
                "model.max-text-length=6", "output.dir=" + trained);
        assertTrue(log.contains("templates simple (3 prompts)"), log);

        Path evaluated = tmp.resolve("eval");
        String out = run(new EvalCommand(), "eval", "--model", trained.resolve("model").toString(), "--data", shards.toString(),
                "--out", evaluated.toString(), "--templates", "simple", "--pictures", "0");
        assertTrue(out.contains("templates simple (3 prompts)"), out);
        String metrics = Files.readString(trained.resolve("metrics.json"));
        assertEquals(metrics, Files.readString(evaluated.resolve("metrics.json")));
        String summary = Files.readString(evaluated.resolve("summary.txt"));
        assertTrue(log.contains(summary.lines().skip(1).limit(4).reduce("", (a, b) -> a + b + "\n")), log + "\n---\n" + summary);

        // The check can fail: captions cut elsewhere give other numbers.
        Path uncut = tmp.resolve("uncut");
        run(new EvalCommand(), "eval", "--model", trained.resolve("model").toString(), "--data", shards.toString(), "--out",
                uncut.toString(), "--templates", "simple", "--pictures", "0", "--max-text-length", "32");
        assertNotEquals(metrics, Files.readString(uncut.resolve("metrics.json")));
    }
}
