package clip.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.cli.Cli;
import clip.cli.Command;
import clip.cli.EmbedCommand;
import clip.cli.EvalCommand;
import clip.cli.ExportCommand;
import clip.cli.GenerateCommand;
import clip.cli.PrepCommand;
import clip.cli.SearchCommand;
import clip.cli.TrainCommand;
import clip.io.SafeTensors;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The two recipes of conf/ end to end at a tiny size, on the same code path as with the real
 * weights: tower folders in timm's and HF's forms (TinyTowerFolders), a generated Flickr30k or COCO
 * through prep, then bin/clip train with the recipe, bin/clip eval of the exported folder (the same
 * metrics as training's), bin/clip export of the last checkpoint (the same folder), bin/clip embed
 * and bin/clip search.
 */
class RecipesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path data;
    private static Path flickr;
    private static Path coco;

    @TempDir
    Path tmp;

    @BeforeAll
    static void shards() {
        flickr = data.resolve("flickr-shards");
        run(new GenerateCommand(), "generate", "--layout", "flickr30k", "--out", data.resolve("flickr").toString(), "--train", "32",
                "--val", "16", "--test", "2", "--long-side", "40");
        run(new Cli().register(new PrepCommand(), "strict"), "prep", "--format", "flickr30k", "--root",
                data.resolve("flickr").toString(), "--out", flickr.toString(), "--image-size", "32", "--master", "local[1]");
        coco = data.resolve("coco-shards");
        run(new GenerateCommand(), "generate", "--out", data.resolve("coco").toString(), "--train", "32", "--val", "16",
                "--long-side", "40");
        run(new Cli().register(new PrepCommand(), "strict"), "prep", "--format", "coco", "--root", data.resolve("coco").toString(),
                "--out", coco.toString(), "--image-size", "32", "--master", "local[1]");
    }

    private static String run(Command command, String... argv) {
        return run(new Cli().register(command), argv);
    }

    private static String run(Cli cli, String... argv) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = cli.run(argv, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, code, String.join(" ", argv) + ": " + err.toString(StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8);
    }

    /** bin/clip train RECIPE on the tiny towers: 6 steps of 8 pairs, a checkpoint and an evaluation every 3. */
    private String train(String recipe, Path vision, Path text, Path shards, Path run, String... extra) {
        List<String> argv = new ArrayList<>(List.of("train", recipe, "model.vision-checkpoint=" + vision,
                "model.text-checkpoint=" + text, "data.shards=" + shards, "model.image-size=32", "model.projection-dim=16",
                "model.max-text-length=16", "data.val-limit=0", "train.batch-size=8", "train.steps=6", "train.warmup-steps=1",
                "train.checkpoint-every=3", "train.log-every=1", "eval.every=3", "eval.templates=simple", "output.dir=" + run));
        argv.addAll(List.of(extra));
        return run(new TrainCommand(), argv.toArray(String[]::new));
    }

    /** Evaluation, export of the newest checkpoint, embedding and search of what the run wrote. */
    private void evaluateExportEmbedAndSearch(Path run, Path shards) throws Exception {
        Path evaluated = tmp.resolve("eval");
        run(new EvalCommand(), "eval", "--model", run.resolve("model").toString(), "--data", shards.toString(), "--out",
                evaluated.toString(), "--templates", "simple", "--pictures", "0");
        assertEquals(Files.readString(run.resolve("metrics.json")), Files.readString(evaluated.resolve("metrics.json")),
                "bin/clip eval of the exported folder gives training's final metrics");

        Path exported = tmp.resolve("exported");
        run(new ExportCommand(), "export", "--run", run.toString(), "--out", exported.toString());
        Map<String, INDArray> trained = SafeTensors.read(run.resolve("model/model.safetensors"));
        Map<String, INDArray> fromCheckpoint = SafeTensors.read(exported.resolve("model.safetensors"));
        assertEquals(trained.keySet(), fromCheckpoint.keySet());
        trained.forEach((k, v) -> assertEquals(v, fromCheckpoint.get(k), k + " exported from the last checkpoint"));
        assertEquals(Files.readString(run.resolve("model/preprocessor_config.json")),
                Files.readString(exported.resolve("preprocessor_config.json")));

        Path index = tmp.resolve("index");
        String embedded = run(new EmbedCommand(), "embed", "--model", exported.toString(), "--data", shards.toString(), "--out",
                index.toString(), "--batch", "8", "--master", "local[1]");
        assertTrue(embedded.contains("16 images, 80 captions, 16-dim"), embedded);
        JsonNode found = JSON.readTree(run(new Cli().register(new SearchCommand(), "json", "exact"), "search", "--model", exported.toString(),
                "--index", index.toString(), "--top", "3", "--json", "a red circle"));
        assertEquals(3, found.path("results").size(), found.toString());
    }

    @Test
    void flickr30kResNet34DistilBertTrainsResidualHeadsOverFrozenTowers() throws Exception {
        Path vision = TinyTowerFolders.resnet(tmp.resolve("resnet34"), false);
        Path text = TinyTowerFolders.distilbert(tmp.resolve("distilbert"));
        Path run = tmp.resolve("run");
        String log = train("flickr30k-resnet34-distilbert", vision, text, flickr, run);
        assertTrue(log.contains("step 6/6"), log);

        JsonNode config = JSON.readTree(run.resolve("model/config.json").toFile());
        assertEquals("residual", config.path("projection").asText());
        assertEquals(0.1, config.path("projection_dropout").asDouble());
        assertEquals(false, config.path("learn_logit_scale").asBoolean(true));
        JsonNode pre = JSON.readTree(run.resolve("model/preprocessor_config.json").toFile());
        assertEquals(List.of(0.5, 0.4, 0.3), List.of(pre.get("image_mean").get(0).asDouble(), pre.get("image_mean").get(1).asDouble(),
                pre.get("image_mean").get(2).asDouble()), "the timm folder's pretrained_cfg mean");
        assertEquals(0.3, pre.get("image_std").get(2).asDouble());

        // frozen towers in eval mode: weights and running statistics exactly the folders'; temperature fixed at 1
        Map<String, INDArray> after = SafeTensors.read(run.resolve("model/model.safetensors"));
        SafeTensors.read(vision.resolve("model.safetensors")).forEach((k, v) -> {
            if (!k.startsWith("fc.")) {
                assertEquals(v, after.get("vision_model." + k), k);
            }
        });
        SafeTensors.read(text.resolve("model.safetensors")).forEach((k, v) -> {
            if (k.startsWith("distilbert.")) {
                assertEquals(v, after.get("text_model." + k.substring("distilbert.".length())), k);
            }
        });
        assertEquals(0.0, after.get("logit_scale").getDouble(0));
        evaluateExportEmbedAndSearch(run, flickr);
    }

    @Test
    void cocoResNet50DistilBertFineTunesBothTowersWithSyncBatchNormAndResumesExactly() throws Exception {
        Path vision = TinyTowerFolders.resnet(tmp.resolve("resnet50"), true);
        Path text = TinyTowerFolders.distilbert(tmp.resolve("distilbert"));
        Path run = tmp.resolve("run");
        train("coco-resnet50-distilbert", vision, text, coco, run, "dist.workers=2");

        Map<String, INDArray> before = SafeTensors.read(vision.resolve("model.safetensors"));
        Map<String, INDArray> after = SafeTensors.read(run.resolve("model/model.safetensors"));
        for (String k : List.of("conv1.weight", "bn1.running_mean", "bn1.running_var", "layer4.0.bn3.running_var")) {
            assertNotEquals(before.get(k), after.get("vision_model." + k), k + " trains (BatchNorm in train mode)");
        }
        evaluateExportEmbedAndSearch(run, coco);

        // stopped after the checkpoint of step 3 and resumed: the same model, running statistics included
        Path interrupted = tmp.resolve("interrupted");
        train("coco-resnet50-distilbert", vision, text, coco, interrupted, "dist.workers=2", "train.steps=3",
                "train.schedule=constant", "train.warmup-steps=0");
        train("coco-resnet50-distilbert", vision, text, coco, interrupted, "dist.workers=2", "train.schedule=constant",
                "train.warmup-steps=0");
        Path straight = tmp.resolve("straight");
        train("coco-resnet50-distilbert", vision, text, coco, straight, "dist.workers=2", "train.schedule=constant",
                "train.warmup-steps=0");
        Map<String, INDArray> resumed = SafeTensors.read(interrupted.resolve("model/model.safetensors"));
        SafeTensors.read(straight.resolve("model/model.safetensors")).forEach((k, v) ->
                assertArrayEquals(v.data().asFloat(), resumed.get(k).data().asFloat(), k + " after a resume"));
    }
}
