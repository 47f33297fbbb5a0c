package clip.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.cli.Cli;
import clip.cli.GenerateCommand;
import clip.cli.PrepCommand;
import clip.cli.TrainCommand;
import clip.io.LocalFiles;
import clip.model.ContrastiveModel;
import clip.model.HfModels;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

/** The main job end to end on the tiny recipe: it learns, evaluates, and exports a loadable model. */
class TrainCommandTest {
    @TempDir
    Path tmp;

    private String stdout;
    private String stderr;

    private int train(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String[] argv = new String[args.length + 1];
        argv[0] = "train";
        System.arraycopy(args, 0, argv, 1, args.length);
        int code = new Cli().register(new TrainCommand()).run(argv, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        stdout = out.toString(StandardCharsets.UTF_8);
        stderr = err.toString(StandardCharsets.UTF_8);
        return code;
    }

    @Test
    void tinyRecipeLearnsFarAboveChanceAndExportsAnHfFolder() throws Exception {
        Path run = tmp.resolve("run");
        assertEquals(0, train("tiny", "output.dir=" + run), stderr);
        assertTrue(stdout.contains("step 60/60") && stdout.contains("ETA"), stdout);

        ObjectMapper json = new ObjectMapper();
        List<String> log = Files.readAllLines(run.resolve("train-log.jsonl"));
        assertEquals(60, log.size());
        double first = json.readTree(log.get(0)).path("loss").asDouble();
        double lastTen = log.subList(50, 60).stream().mapToDouble(l -> {
            try {
                return json.readTree(l).path("loss").asDouble();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).average().orElseThrow();
        assertTrue(lastTen < first - 0.4, "loss fell from " + first + " to " + lastTen);

        JsonNode metrics = json.readTree(run.resolve("metrics.json").toFile());
        assertEquals(Set.of("image_to_text", "text_to_image", "zero_shot", "images", "captions"), fieldNames(metrics));
        assertEquals(Set.of("R@1", "R@5", "R@10", "median_rank"), fieldNames(metrics.path("text_to_image")));
        assertEquals(Set.of("top1", "top5", "classes"), fieldNames(metrics.path("zero_shot")));
        assertEquals(64, metrics.path("images").asInt());
        assertEquals(320, metrics.path("captions").asInt());
        double chanceR5 = 100.0 * 5 / 64;
        assertTrue(metrics.path("text_to_image").path("R@5").asDouble() > 2 * chanceR5, metrics.toString());

        ContrastiveModel exported = HfModels.load(run.resolve("model"), DataType.FLOAT).asContrastive();
        assertEquals(39265, exported.parameterCount());
        assertTrue(Files.isRegularFile(run.resolve("model/vocab.txt")));
        String header = new String(Files.readAllBytes(run.resolve("model/model.safetensors")), 8, 64, StandardCharsets.UTF_8);
        assertTrue(header.contains("\"format\":\"pt\""), header);
    }

    @Test
    void twoWorkersTrainOnTheirSharesOfPrepsShardsAndEvaluateOnTheValidationSplit() throws Exception {
        Path coco = tmp.resolve("coco");
        Path shards = tmp.resolve("shards");
        assertEquals(0, new Cli().register(new GenerateCommand()).run(new String[] {"generate", "--out", coco.toString(),
                "--train", "256", "--val", "64", "--long-side", "32"}, System.out, System.err));
        assertEquals(0, new Cli().register(new PrepCommand(), "strict").run(new String[] {"prep", "--format", "coco", "--root",
                coco.toString(), "--out", shards.toString(), "--image-size", "16", "--master", "local[2]"}, System.out, System.err));
        Path run = tmp.resolve("run");
        assertEquals(0, train("tiny", "data.source=shards", "data.shards=" + shards, "dist.workers=2", "output.dir=" + run), stderr);
        assertTrue(stdout.contains("data: 256 training images (shards " + shards + "), ~128 held by each worker"), stdout);
        JsonNode metrics = new ObjectMapper().readTree(run.resolve("metrics.json").toFile());
        assertEquals(64, metrics.path("images").asInt());
        assertEquals(320, metrics.path("captions").asInt());
        double chanceR5 = 100.0 * 5 / 64;
        assertTrue(metrics.path("text_to_image").path("R@5").asDouble() > 2 * chanceR5, metrics.toString());
        assertTrue(metrics.path("zero_shot").path("top1").asDouble() > 25 + 5, "zero-shot over four shapes: " + metrics);
        JsonNode processor = new ObjectMapper().readTree(run.resolve("model/preprocessor_config.json").toFile());
        assertEquals(16, processor.path("crop_size").path("height").asInt());

        // A validation shard damaged after prep (a flipped byte, Hadoop's .crc gone) is found before
        // the first step, naming it, rather than after the last step with no model written.
        Path val;
        try (var files = Files.list(shards.resolve("val"))) {
            val = files.filter(p -> p.toString().endsWith(".parquet")).sorted().findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(val);
        bytes[bytes.length / 3] ^= 0x01;
        Files.write(val, bytes);
        Files.deleteIfExists(val.resolveSibling("." + val.getFileName() + ".crc"));
        Path nowhere = tmp.resolve("not-written");
        assertEquals(2, train("tiny", "data.source=shards", "data.shards=" + shards, "output.runs=" + nowhere));
        assertTrue(stderr.contains(val.getFileName().toString()) && stderr.contains("SHA-256"), stderr);
        assertTrue(!Files.exists(nowhere), "the check runs before a run folder is made");
        clip.io.BadInputException evalRefused = org.junit.jupiter.api.Assertions.assertThrows(clip.io.BadInputException.class,
                () -> clip.validation.EvalSet.open(shards.toString(), "val", 1000, new org.apache.hadoop.conf.Configuration()));
        assertTrue(evalRefused.getMessage().contains(val.getFileName().toString()), "eval and embed check the shards they open too: "
                + evalRefused.getMessage());
    }

    /**
     * One worker, two worker threads, two tasks of a Spark barrier stage talking over TCP, two
     * workers encoding their pairs in micro-batches, and two workers each evaluating the whole
     * loss instead of their rows of it train on the same global batches: the loss curves (the
     * global batch's loss, whichever way it is computed) must agree.
     */
    @Test
    void oneWorkerTwoThreadsTwoSparkTasksAndMicroBatchesFollowTheSameLossCurve() throws Exception {
        List<String> runs = List.of("dist.workers=1", "dist.workers=2", "dist.workers=2 dist.engine=spark",
                "dist.workers=2 train.micro-batches=4", "dist.workers=2 loss.local=false");
        double[][] curves = new double[runs.size()][];
        for (int i = 0; i < runs.size(); i++) {
            Path run = tmp.resolve("run" + i);
            List<String> argv = new java.util.ArrayList<>(List.of("tiny", "train.steps=12", "output.dir=" + run));
            argv.addAll(List.of(runs.get(i).split(" ")));
            assertEquals(0, train(argv.toArray(new String[0])), stderr);
            curves[i] = losses(run.resolve("train-log.jsonl"));
            JsonNode line = new ObjectMapper().readTree(Files.readAllLines(run.resolve("train-log.jsonl")).get(11));
            double server = line.path("param_server_s").asDouble(-1);
            double waits = line.path("bucket_wait_s").asDouble(-1) + line.path("param_wait_s").asDouble(-1);
            assertTrue(line.path("gather_s").asDouble(-1) >= 0 && server >= 0 && line.has("bucket_wait_s") && line.has("param_wait_s")
                    && waits >= 0 && waits <= server + 2e-4, line.toString()); // each rounded to 0.1 ms
            assertTrue(Files.isRegularFile(run.resolve("metrics.json")) && Files.isDirectory(run.resolve("model")), runs.get(i));
        }
        for (int r = 1; r < runs.size(); r++) {
            assertEquals(12, curves[r].length, runs.get(r));
            for (int i = 0; i < 12; i++) {
                assertEquals(curves[0][i], curves[r][i], 1e-4, runs.get(r) + ", step " + (i + 1));
            }
        }
        for (int i = 0; i < 12; i++) {
            // the same arithmetic in the same order, whether the exchange is shared memory or TCP
            assertEquals(curves[1][i], curves[2][i], 1e-6, "threads vs Spark tasks, step " + (i + 1));
        }
    }

    /**
     * Projection-only training is frozen-towers training with the towers run once: on generated
     * images (no random crops) the loss curves agree. The features are cached: a second run reads
     * them, and a change of the towers' weights computes new ones.
     */
    @Test
    void projectionOnlyTrainingOnCachedFeaturesFollowsFrozenTowers() throws Exception {
        Path cache = tmp.resolve("features");
        assertEquals(0, train("tiny", "train.steps=12", "train.mode=frozen-towers", "output.dir=" + tmp.resolve("frozen")), stderr);
        double[] frozen = losses(tmp.resolve("frozen/train-log.jsonl"));
        for (String workers : List.of("1", "2")) {
            Path run = tmp.resolve("projection-" + workers);
            assertEquals(0, train("tiny", "train.steps=12", "train.mode=projection-only", "train.feature-cache=" + cache,
                    "dist.workers=" + workers, "output.dir=" + run), stderr);
            assertTrue(stdout.contains("tower features: 256/256 images") && stdout.contains("tower features: cached in " + cache),
                    stdout);
            double[] curve = losses(run.resolve("train-log.jsonl"));
            for (int i = 0; i < 12; i++) {
                assertEquals(frozen[i], curve[i], 1e-4, workers + " worker(s), step " + (i + 1));
            }
        }
        assertEquals(0, train("tiny", "train.steps=12", "train.mode=projection-only", "train.feature-cache=" + cache,
                "output.dir=" + tmp.resolve("again")), stderr);
        assertTrue(stdout.contains("tower features: read from " + cache) && !stdout.contains("256/256 images"), stdout);
        assertEquals(0, train("tiny", "train.steps=2", "train.mode=projection-only", "train.feature-cache=" + cache,
                "train.seed=5", "output.dir=" + tmp.resolve("other-towers")), stderr);
        assertTrue(stdout.contains("tower features: cached in " + cache), "other weights, other features: " + stdout);
        assertEquals(2, children(cache).size(), children(cache).toString());

        java.util.Map<String, org.nd4j.linalg.api.ndarray.INDArray> start = clip.io.SafeTensors.read(
                tmp.resolve("other-towers/model/model.safetensors"));
        assertEquals(0, train("tiny", "train.steps=4", "train.mode=projection-only", "train.feature-cache=" + cache,
                "train.seed=5", "output.dir=" + tmp.resolve("other-towers-longer")), stderr);
        java.util.Map<String, org.nd4j.linalg.api.ndarray.INDArray> later = clip.io.SafeTensors.read(
                tmp.resolve("other-towers-longer/model/model.safetensors"));
        for (String k : start.keySet()) {
            boolean head = k.startsWith("visual_projection") || k.startsWith("text_projection") || k.startsWith("logit");
            assertEquals(!head, start.get(k).equals(later.get(k)), k + (head ? " trains" : " stays frozen"));
        }
    }

    /**
     * A run interrupted after its checkpoint at step 8 (step 12's checkpoint and outputs lost,
     * its log already past step 8) and rerun carries on from step 8 and ends exactly where an
     * uninterrupted run ends (bit for bit, with the same number of workers); resuming with two
     * workers instead of one re-slices the state.
     */
    @Test
    void aRerunResumesFromTheLastCheckpointAndEndsWhereAnUninterruptedRunEnds() throws Exception {
        Path whole = tmp.resolve("whole");
        assertEquals(0, train("tiny", "train.steps=12", "train.checkpoint-every=4", "output.dir=" + whole), stderr);
        double[] reference = losses(whole.resolve("train-log.jsonl"));
        assertEquals(List.of("step-000000008", "step-000000012"), children(whole.resolve("checkpoints")), "keep-checkpoints = 2");

        for (String workers : List.of("1", "2")) {
            Path run = tmp.resolve("interrupted-" + workers);
            assertEquals(0, train("tiny", "train.steps=12", "train.checkpoint-every=4", "output.dir=" + run), stderr);
            LocalFiles.deleteTree(run.resolve("checkpoints/step-000000012"));
            LocalFiles.deleteTree(run.resolve("model"));
            Files.delete(run.resolve("metrics.json"));
            assertEquals(0, train("tiny", "train.steps=12", "train.checkpoint-every=4", "dist.workers=" + workers,
                    "output.dir=" + run), stderr);
            assertTrue(stdout.contains("resuming at step 8"), stdout);
            double[] resumed = losses(run.resolve("train-log.jsonl"));
            assertEquals(12, resumed.length, "steps logged once each");
            for (int i = 0; i < 12; i++) {
                assertEquals(reference[i], resumed[i], workers.equals("1") ? 1e-6 : 1e-4, workers + " worker(s), step " + (i + 1));
            }
            assertTrue(Files.isRegularFile(run.resolve("metrics.json")) && Files.isDirectory(run.resolve("model")));
            if (workers.equals("1")) {
                assertEquals(-1, Files.mismatch(whole.resolve("model/model.safetensors"), run.resolve("model/model.safetensors")),
                        "the resumed run's parameters are the uninterrupted run's, bit for bit");
            }
        }
    }

    @Test
    void binClipExportWritesACheckpointAsTheHfFolderTrainingWouldHaveWritten() throws Exception {
        Path run = tmp.resolve("run");
        assertEquals(0, train("tiny", "train.steps=4", "train.checkpoint-every=2", "output.dir=" + run), stderr);
        Cli cli = new Cli().register(new clip.cli.ExportCommand());
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
        assertEquals(0, cli.run(new String[] {"export", "--run", run.toString(), "--out", tmp.resolve("last").toString()},
                System.out, errStream), err.toString(StandardCharsets.UTF_8));
        assertEquals(0, cli.run(new String[] {"export", "--run", run.toString(), "--step", "2", "--out", tmp.resolve("two").toString()},
                System.out, errStream), err.toString(StandardCharsets.UTF_8));
        java.util.Map<String, org.nd4j.linalg.api.ndarray.INDArray> trained = clip.io.SafeTensors.read(run.resolve("model/model.safetensors"));
        java.util.Map<String, org.nd4j.linalg.api.ndarray.INDArray> last = clip.io.SafeTensors.read(tmp.resolve("last/model.safetensors"));
        java.util.Map<String, org.nd4j.linalg.api.ndarray.INDArray> two = clip.io.SafeTensors.read(tmp.resolve("two/model.safetensors"));
        assertEquals(trained.keySet(), last.keySet());
        for (String k : trained.keySet()) {
            assertEquals(trained.get(k), last.get(k), k);
        }
        assertTrue(!trained.get("logit_scale").equals(two.get("logit_scale"))
                || !trained.get("text_projection.weight").equals(two.get("text_projection.weight")), "step 2 is not step 4");
        assertEquals(2, cli.run(new String[] {"export", "--run", run.toString(), "--step", "3", "--out", tmp.resolve("x").toString()},
                System.out, errStream));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("no committed checkpoint of step 3; there are [2, 4]"),
                err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aCheckpointOfAnotherModelIsRefusedByName() throws Exception {
        Path run = tmp.resolve("run");
        assertEquals(0, train("tiny", "train.steps=2", "train.checkpoint-every=2", "output.dir=" + run), stderr);
        assertEquals(2, train("tiny", "train.steps=4", "model.projection-dim=16", "output.dir=" + run));
        assertTrue(stderr.contains("step-000000002") && stderr.contains("clip.train.resume = never"), stderr);
        assertEquals(0, train("tiny", "train.steps=2", "model.projection-dim=16", "train.resume=never", "output.dir=" + run), stderr);
    }

    /** Two thread workers write the same model to the byte with gradient buckets (the default) and without. */
    @Test
    void gradientBucketsChangeNoBitOfTheTrainedModel() throws Exception {
        Path buckets = tmp.resolve("buckets");
        Path after = tmp.resolve("after");
        assertEquals(0, train("tiny", "train.steps=4", "dist.workers=2", "output.dir=" + buckets), stderr);
        assertEquals(0, train("tiny", "train.steps=4", "dist.workers=2", "dist.bucket-mb=0", "output.dir=" + after), stderr);
        assertArrayEquals(Files.readAllBytes(after.resolve("model/model.safetensors")),
                Files.readAllBytes(buckets.resolve("model/model.safetensors")));
        assertEquals(2, train("tiny", "dist.bucket-mb=-1", "output.dir=" + tmp.resolve("refused")));
        assertTrue(stderr.contains("clip.dist.bucket-mb") && stderr.lines().count() == 1, stderr);
    }

    /**
     * Two thread workers write the same model, and log the same losses, gradient norms and logit
     * scales, bit for bit, with the parameters' all-gather overlapped with the next forward pass
     * (the default) and at the end of each step, evaluating in between; a run checkpointed with it
     * resumes to the same model; a value that is not a boolean is refused in one line.
     */
    @Test
    void theOverlappedGatherChangesNoBitOfTheModelOrTheLogAndResumes() throws Exception {
        Path overlapped = tmp.resolve("overlapped");
        Path atTheEnd = tmp.resolve("at-the-end");
        List<String> common = List.of("tiny", "train.steps=6", "train.checkpoint-every=3", "eval.every=2", "dist.workers=2");
        assertEquals(0, train(with(common, "output.dir=" + overlapped)), stderr);
        assertEquals(0, train(with(common, "dist.overlap-gather=false", "output.dir=" + atTheEnd)), stderr);
        assertTrue(stdout.contains("eval at step 4"), stdout);
        assertArrayEquals(Files.readAllBytes(atTheEnd.resolve("model/model.safetensors")),
                Files.readAllBytes(overlapped.resolve("model/model.safetensors")));
        assertSameLosses(atTheEnd, overlapped, 6);

        rewindToStep3(overlapped);
        assertEquals(0, train(with(common, "output.dir=" + overlapped)), stderr);
        assertTrue(stdout.contains("resuming at step 3"), stdout);
        assertArrayEquals(Files.readAllBytes(atTheEnd.resolve("model/model.safetensors")),
                Files.readAllBytes(overlapped.resolve("model/model.safetensors")), "resumed: the uninterrupted run's model");

        assertEquals(2, train("tiny", "dist.overlap-gather=sometimes", "output.dir=" + tmp.resolve("refused")));
        assertTrue(stderr.contains("clip.dist.overlap-gather") && stderr.lines().count() == 1, stderr);
    }

    /**
     * Two thread workers that each update every parameter from the gathered sums write the
     * sharded update's model and log, bit for bit; a sharded run's checkpoint resumes under the
     * replicated update to the same model; a value it does not know is refused in one line.
     */
    @Test
    void theReplicatedUpdateWritesTheShardedModelAndResumesItsCheckpoints() throws Exception {
        Path sharded = tmp.resolve("sharded");
        Path replicated = tmp.resolve("replicated");
        List<String> common = List.of("tiny", "train.steps=6", "train.checkpoint-every=3", "dist.workers=2");
        assertEquals(0, train(with(common, "output.dir=" + sharded)), stderr);
        byte[] model = Files.readAllBytes(sharded.resolve("model/model.safetensors"));
        assertEquals(0, train(with(common, "dist.update=replicated", "output.dir=" + replicated)), stderr);
        assertArrayEquals(model, Files.readAllBytes(replicated.resolve("model/model.safetensors")));
        assertSameLosses(sharded, replicated, 6);

        rewindToStep3(sharded);
        assertEquals(0, train(with(common, "dist.update=replicated", "output.dir=" + sharded)), stderr);
        assertTrue(stdout.contains("resuming at step 3"), stdout);
        assertArrayEquals(model, Files.readAllBytes(sharded.resolve("model/model.safetensors")), "resumed: the uninterrupted run's model");

        assertEquals(2, train("tiny", "dist.update=everywhere", "output.dir=" + tmp.resolve("refused")));
        assertTrue(stderr.contains("clip.dist.update") && stderr.lines().count() == 1, stderr);
    }

    /** The two runs' train-log.jsonl files have {@code steps} lines with the same losses, gradient norms and logit scales. */
    private static void assertSameLosses(Path expectedRun, Path gotRun, int steps) throws java.io.IOException {
        List<String> expected = Files.readAllLines(expectedRun.resolve("train-log.jsonl"));
        List<String> got = Files.readAllLines(gotRun.resolve("train-log.jsonl"));
        assertEquals(steps, got.size());
        ObjectMapper json = new ObjectMapper();
        for (int i = 0; i < expected.size(); i++) {
            for (String field : List.of("loss", "grad_norm", "logit_scale")) {
                assertEquals(json.readTree(expected.get(i)).path(field).asDouble(), json.readTree(got.get(i)).path(field).asDouble(),
                        "step " + (i + 1) + ", " + field);
            }
        }
    }

    /** A 6-step run checkpointed every 3 steps as if it had stopped after step 3's checkpoint: its last checkpoint and outputs gone. */
    private static void rewindToStep3(Path run) throws java.io.IOException {
        LocalFiles.deleteTree(run.resolve("checkpoints/step-000000006"));
        LocalFiles.deleteTree(run.resolve("model"));
        Files.delete(run.resolve("metrics.json"));
    }

    private static String[] with(List<String> args, String... more) {
        List<String> all = new java.util.ArrayList<>(args);
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    /**
     * Checkpoints do not depend on the exchange (each parameter whole, by name): four thread
     * workers checkpointed at step 2 under the two-level exchange resume under it bit for bit as
     * if never stopped, and under the mesh, as the mesh's checkpoint does under the two-level
     * exchange, within the equivalence tests' tolerance of the uninterrupted run (the two add in
     * other orders). An unknown exchange is refused in one line naming the key.
     */
    @Test
    void checkpointsResumeUnderEitherExchange() throws Exception {
        Path whole = tmp.resolve("whole");
        assertEquals(0, train("tiny", "train.steps=4", "dist.workers=4", "dist.exchange=two-level", "output.dir=" + whole), stderr);
        float[][] reference = modelValues(whole);
        Path twoLevel = tmp.resolve("two-level");
        Path mesh = tmp.resolve("mesh");
        assertEquals(0, train("tiny", "train.steps=2", "train.checkpoint-every=2", "dist.workers=4", "dist.exchange=two-level",
                "output.dir=" + twoLevel), stderr);
        assertEquals(0, train("tiny", "train.steps=2", "train.checkpoint-every=2", "dist.workers=4", "output.dir=" + mesh), stderr);
        Path twoThenMesh = tmp.resolve("two-level-then-mesh");
        try (var files = Files.walk(twoLevel)) {
            for (Path f : files.toList()) {
                Files.copy(f, twoThenMesh.resolve(twoLevel.relativize(f).toString()));
            }
        }
        for (Path run : List.of(twoLevel, mesh, twoThenMesh)) {
            String exchange = run == twoThenMesh ? "mesh" : "two-level";
            assertEquals(0, train("tiny", "train.steps=4", "train.checkpoint-every=2", "dist.workers=4", "dist.exchange=" + exchange,
                    "output.dir=" + run), stderr);
            assertTrue(stdout.contains("resuming at step 2"), stdout);
            float[][] resumed = modelValues(run);
            double diff = 0;
            for (int i = 0; i < reference.length; i++) {
                for (int j = 0; j < reference[i].length; j++) {
                    diff = Math.max(diff, Math.abs(reference[i][j] - resumed[i][j]));
                }
            }
            if (run == twoLevel) {
                assertEquals(0.0, diff, "two-level to two-level: the uninterrupted run's parameters, bit for bit");
            } else {
                assertTrue(diff > 0 && diff <= 2e-5, run.getFileName() + ": max |diff| " + diff);
            }
        }
        assertEquals(2, train("tiny", "dist.exchange=ring", "output.dir=" + tmp.resolve("refused")));
        assertTrue(stderr.contains("clip.dist.exchange") && stderr.lines().count() == 1, stderr);
    }

    /** The trained model's tensors, in name order. */
    private static float[][] modelValues(Path run) throws java.io.IOException {
        return new java.util.TreeMap<>(clip.io.SafeTensors.read(run.resolve("model/model.safetensors"))).values().stream()
                .map(a -> a.dup('c').data().asFloat()).toArray(float[][]::new);
    }

    /** The pooled vector comes out of a tower's last transformer layer: a tower needs one. */
    @Test
    void towersWithoutLayersOrHeadsAreRefusedInOneLine() throws Exception {
        assertEquals(2, train("tiny", "model.layers=0", "output.dir=" + tmp.resolve("no-layers")));
        assertTrue(stderr.contains("clip.model.layers") && stderr.lines().count() == 1, stderr);
        assertEquals(2, train("tiny", "model.heads=0", "output.dir=" + tmp.resolve("no-heads")));
        assertTrue(stderr.contains("clip.model.heads") && stderr.lines().count() == 1, stderr);
    }

    @Test
    void evaluatesEveryKStepsAndKeepsTheBestModel() throws Exception {
        Path run = tmp.resolve("run");
        assertEquals(0, train("tiny", "train.steps=30", "eval.every=10", "output.dir=" + run), stderr);
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> evals = new java.util.ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("eval-log.jsonl"))) {
            evals.add(json.readTree(line));
        }
        assertEquals(List.of(10L, 20L, 30L), evals.stream().map(e -> e.path("step").asLong()).toList());
        JsonNode bestSeen = evals.stream().max(java.util.Comparator.comparingDouble(e -> e.path("mean_recall").asDouble())).orElseThrow();
        JsonNode kept = json.readTree(run.resolve("best/metrics.json").toFile());
        assertEquals(bestSeen.path("step").asLong(), kept.path("step").asLong());
        assertEquals(bestSeen.path("mean_recall").asDouble(), kept.path("value").asDouble(), 1e-9);
        assertEquals("mean_recall", kept.path("metric").asText());
        ContrastiveModel best = HfModels.load(run.resolve("best"), DataType.FLOAT).asContrastive();
        assertTrue(best.parameterCount() > 0);
        assertTrue(stdout.contains("eval at step 10: mean_recall") && stdout.contains("eval at step 20: mean_recall"), stdout);
        JsonNode last = json.readTree(run.resolve("metrics.json").toFile());
        assertEquals(last.path("text_to_image").path("R@5").asDouble(), evals.get(2).path("text_to_image").path("R@5").asDouble(), 1e-9,
                "the final evaluation is the eval log's last line");
    }

    /**
     * Without output.dir every run gets a new folder (and runs/latest follows the newest): two
     * runs leave two complete folders. A run whose configuration or inputs fail their checks
     * writes nothing at all.
     */
    @Test
    void runsWithoutOutputDirEachGetANewFolderAndAFailedCheckWritesNothing() throws Exception {
        Path runs = tmp.resolve("runs");
        List<String> printed = new java.util.ArrayList<>();
        for (int i = 0; i < 2; i++) {
            assertEquals(0, train("tiny", "train.steps=3", "output.runs=" + runs), stderr);
            printed.add(stdout.lines().filter(l -> l.startsWith("run folder: ")).findFirst().orElseThrow());
        }
        List<String> folders = children(runs).stream().filter(n -> !n.equals("latest")).toList();
        assertEquals(2, folders.size(), folders.toString());
        ObjectMapper json = new ObjectMapper();
        for (int i = 0; i < 2; i++) {
            Path run = runs.resolve(folders.get(i));
            assertTrue(folders.get(i).startsWith("tiny-"), folders.get(i));
            assertTrue(printed.get(i).startsWith("run folder: " + run), printed.get(i));
            assertTrue(Files.isRegularFile(run.resolve("metrics.json")) && Files.isRegularFile(run.resolve("model/model.safetensors"))
                    && Files.isRegularFile(run.resolve("config.conf")), run.toString());
            List<String> log = Files.readAllLines(run.resolve("train-log.jsonl"));
            assertEquals(3, log.size(), run.toString());
            double before = 0;
            for (String line : log) {
                JsonNode step = json.readTree(line);
                for (String key : List.of("lr_image", "lr_text", "lr_logit", "elapsed_s")) {
                    assertTrue(step.path(key).isNumber(), key + " in " + line);
                }
                assertTrue(step.path("elapsed_s").asDouble() >= before, line);
                before = step.path("elapsed_s").asDouble();
            }
        }
        assertEquals(Path.of(folders.get(1)), Files.readSymbolicLink(runs.resolve("latest")));

        Path nowhere = tmp.resolve("nothing-here");
        assertEquals(2, train("tiny", "dist.workers=3", "output.runs=" + nowhere));
        assertEquals(2, train("tiny", "data.source=shards", "data.shards=" + tmp.resolve("no-shards"), "output.runs=" + nowhere));
        assertTrue(stderr.contains("clip.data.shards") && stderr.contains("no-shards"), stderr);
        assertEquals(2, train("tiny", "eval.templates=" + tmp.resolve("no-templates.txt"), "output.runs=" + nowhere));
        assertTrue(stderr.contains("clip.eval.templates") && stderr.contains("no-templates.txt"), stderr);
        Path single = Files.createDirectories(tmp.resolve("clip-model"));
        Files.writeString(single.resolve("config.json"), "{\"model_type\": \"clip\"}");
        assertEquals(2, train("tiny", "model.init=hf", "model.checkpoint=" + single, "output.runs=" + nowhere));
        assertTrue(stderr.contains("clip-model") && stderr.contains("vision-text-dual-encoder"), stderr);
        assertEquals(2, train("tiny", "eval.templates=" + tmp.resolve("no-templates.txt"), "output.dir=" + nowhere));
        assertTrue(!Files.exists(nowhere), "a run that fails its checks writes nothing");
    }

    static List<String> children(Path dir) throws java.io.IOException {
        try (var s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    static double[] losses(Path trainLog) throws java.io.IOException {
        ObjectMapper json = new ObjectMapper();
        List<String> lines = Files.readAllLines(trainLog);
        double[] out = new double[lines.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = json.readTree(lines.get(i)).path("loss").asDouble();
        }
        return out;
    }

    /** Every recipe in conf/ names only known keys with valid values (paths pointed at stand-ins). */
    @Test
    void everyRecipeInConfLoads() throws Exception {
        Path dual = Files.createDirectories(tmp.resolve("dual"));
        try (var recipes = Files.list(Path.of("..", "conf"))) {
            for (Path recipe : recipes.filter(p -> p.toString().endsWith(".conf")).toList()) {
                TrainConfig c = TrainConfig.from(new clip.config.ConfigLoader().load(recipe.toString(),
                        List.of("model.checkpoint=" + dual, "model.vision-checkpoint=" + dual, "model.text-checkpoint=" + dual),
                        java.util.Map.of()));
                assertTrue(c.train().steps() > 0, recipe.toString());
            }
        }
    }

    @Test
    void configMistakesStopBeforeTrainingWithOneLine() {
        assertEquals(2, train("tiny", "train.stpes=5", "output.dir=" + tmp));
        assertTrue(stderr.contains("'clip.train.stpes'") && stderr.contains("did you mean 'clip.train.steps'"), stderr);
        assertEquals(2, train("tiny", "train.steps=many"));
        assertTrue(stderr.contains("clip.train.steps"), stderr);
        assertEquals(2, train("tiny", "model.init=hf", "model.checkpoint=" + tmp.resolve("absent")));
        assertTrue(stderr.contains("clip.model.checkpoint") && stderr.contains("absent"), stderr);
        assertEquals(2, train("tiny", "dist.workers=3"));
        assertTrue(stderr.contains("clip.train.batch-size") && stderr.contains("clip.dist.workers"), stderr);
        assertEquals(2, train("no-such-recipe"));
        assertTrue(stderr.contains("no-such-recipe"), stderr);
        assertEquals(1, stderr.strip().lines().count(), stderr);
    }

    private static Set<String> fieldNames(JsonNode n) {
        Set<String> names = new java.util.HashSet<>();
        n.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
