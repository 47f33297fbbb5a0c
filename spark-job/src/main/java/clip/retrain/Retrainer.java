package clip.retrain;

import clip.eval.EncoderModel;
import clip.validation.EvalSet;
import clip.eval.Metrics;
import clip.eval.Templates;
import clip.io.BadInputException;
import clip.io.LocalFiles;
import clip.train.TrainingRun;
import clip.train.TrainConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;

/**
 * One scheduled retraining run against a {@link ModelRegistry}: take the lock, repair what a dead
 * run left, train a candidate (from production when there is one) on the configured shards in a
 * local scratch folder, evaluate candidate and production on the same validation split, promote
 * the candidate if {@link PromotionRule} says so, and record the run's report. Until the
 * promotion's final rename nothing a reader looks at changes, so a crash anywhere leaves the
 * registry's production as it was.
 */
public final class Retrainer {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter RUN_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmssSSS'Z'").withZone(ZoneOffset.UTC);
    private static final List<String> RUN_LOGS = List.of("train-log.jsonl", "eval-log.jsonl");

    private final Config config;
    private final String registryLocation;
    private final Configuration hadoop;
    private final PrintStream log;

    /**
     * @param config   the whole job configuration (clip.data.* says what to train on, clip.retrain.* how to decide)
     * @param registry the registry folder: a local path or any Hadoop URI
     * @param hadoop   how the registry's and the data's URIs are resolved
     */
    public Retrainer(Config config, String registry, Configuration hadoop, PrintStream log) {
        this.config = config;
        this.registryLocation = registry;
        this.hadoop = hadoop;
        this.log = log;
    }

    /** Runs once; returns the report that was also written to the registry. */
    public ObjectNode run() throws IOException, InterruptedException, RegistryLockedException {
        TrainConfig recipe = TrainConfig.from(config);
        RetrainConfig retrain = RetrainConfig.from(config);
        if (recipe.data().source() != TrainConfig.DataSource.SHARDS) {
            throw new BadInputException("retrain trains on data-prep shards: set clip.data.source = shards and clip.data.shards");
        }
        // Everything the run reads is opened before it takes the lock, so a mistyped path fails at once.
        TrainingShards shards = TrainingShards.read(recipe.data().shards(), recipe.data().trainSplit(), hadoop);
        String valData = retrain.valData().isBlank() ? recipe.data().shards() : retrain.valData();
        EvalSet validation = EvalSet.open(valData, recipe.data().valSplit(), recipe.data().valImagesAtMost(), hadoop);
        if (retrain.metric().startsWith("zero_shot.") && validation.classes().isEmpty()) {
            throw new BadInputException("config key 'clip.retrain.metric' is " + retrain.metric() + ", but " + validation.description()
                    + " has no object categories to measure it on");
        }
        Templates templates = Templates.named(recipe.eval().templates());
        // Names sort by start time, so the newest run's report is the last one listed.
        String run = RUN_TIME.format(Instant.now()) + "-" + UUID.randomUUID().toString().substring(0, 6);
        Path scratchRoot = retrain.scratch().isBlank() ? Path.of(System.getProperty("java.io.tmpdir")) : Path.of(retrain.scratch());
        try (ModelRegistry registry = new ModelRegistry(registryLocation, hadoop);
             RegistryLock lock = registry.lock(run, retrain.lockTimeout(), log)) {
            registry.recover(log);
            String prefix = scratchPrefix(registry.root());
            removeKilledRunsScratch(scratchRoot, prefix);
            Path scratch = scratchRoot.resolve(prefix + run);
            Files.createDirectories(scratch);
            try {
                return new Attempt(registry, lock, retrain, run, scratch).run(shards, validation, templates);
            } finally {
                LocalFiles.deleteTree(scratch);
            }
        }
    }

    /** The start of the names of this registry's runs' scratch folders: {@code clip-retrain-<registry>-<run>}. */
    static String scratchPrefix(org.apache.hadoop.fs.Path registryRoot) {
        String registry = UUID.nameUUIDFromBytes(registryRoot.toString().getBytes(StandardCharsets.UTF_8)).toString();
        return "clip-retrain-" + registry.substring(0, 8) + "-";
    }

    /**
     * A killed run leaves its scratch folder (a finished or failed one deletes it). Called under the
     * registry's lock, when no live run of this registry can own one; other registries' are left alone.
     */
    private void removeKilledRunsScratch(Path scratchRoot, String prefix) throws IOException {
        if (!Files.isDirectory(scratchRoot)) {
            return;
        }
        try (Stream<Path> folders = Files.list(scratchRoot)) {
            for (Path stale : folders.filter(p -> p.getFileName().toString().startsWith(prefix)).toList()) {
                LocalFiles.deleteTree(stale);
                log.printf("retrain: removed %s, the scratch folder of a run that was killed%n", stale);
            }
        }
    }

    /** The part of a run done under the lock. */
    private final class Attempt {
        private final ModelRegistry registry;
        private final RegistryLock lock;
        private final RetrainConfig retrain;
        private final String run;
        private final Path scratch;
        private final PromotionRule rule;
        private final ObjectNode report = JSON.createObjectNode();

        Attempt(ModelRegistry registry, RegistryLock lock, RetrainConfig retrain, String run, Path scratch) {
            this.registry = registry;
            this.lock = lock;
            this.retrain = retrain;
            this.run = run;
            this.scratch = scratch;
            this.rule = new PromotionRule(retrain.metric(), retrain.margin());
        }

        ObjectNode run(TrainingShards shards, EvalSet validation, Templates templates) throws IOException, InterruptedException {
            Optional<JsonNode> previousRun = registry.latestRun();
            TrainingShards previous = previousRun.map(r -> TrainingShards.fromReport(r.path("data"))).orElse(null);
            Optional<String> production = registry.production();
            report.put("run", run).put("registry", registry.root().toString()).put("host", RegistryLock.thisHost())
                    .put("started", Instant.now().toString()).put("warm_start", production.orElse(null));
            report.set("data", shards.toReport(previous, previousRun.map(r -> r.path("run").asText()).orElse(null)));
            report.putObject("validation").put("data", validation.description()).put("images", validation.items().size())
                    .put("captions", validation.captionCount());
            report.put("metric", retrain.metric()).put("margin", retrain.margin());
            report.set("config", JSON.readTree(config.getConfig("clip").root().render(ConfigRenderOptions.concise())));
            Path runDir = Files.createDirectories(scratch.resolve("run"));
            int fresh = previous == null ? shards.shards().size() : shards.newSince(previous).size();
            if (retrain.requireNewData() && previous != null && fresh == 0 && previous.newSince(shards).isEmpty()) {
                decide("skipped", "no new shards since run " + report.path("data").path("previous_run").asText()
                        + " and clip.retrain.require-new-data is on");
                return record(runDir);
            }
            log.printf("retrain: run %s: training %s on %d shards of %s (%d new since the last run)%n", run,
                    production.map(v -> "from production " + v).orElse("from the recipe (the registry has no production model)"),
                    shards.shards().size(), shards.root(), fresh);
            Config training = trainingConfig(production);
            TrainConfig trainConfig = TrainConfig.from(training);
            TrainingRun.run(training, "retrain", log);
            for (String name : RUN_LOGS) {
                Path logFile = trainConfig.outputDir().resolve(name);
                if (Files.exists(logFile)) {
                    Files.copy(logFile, runDir.resolve(name));
                }
            }

            Path candidateDir = trainConfig.outputDir().resolve("model");
            Metrics candidate = evaluate("candidate", candidateDir, validation, templates, trainConfig.model().maxTextLength());
            report.putObject("candidate").put("value", rule.value(candidate)).set("metrics", candidate.toJson());
            Metrics current = null;
            if (production.isPresent()) {
                current = evaluate("production " + production.get(), scratch.resolve("production"), validation, templates,
                        trainConfig.model().maxTextLength());
                report.putObject("production").put("version", production.get()).put("value", rule.value(current)).set("metrics", current.toJson());
            } else {
                report.putNull("production");
            }
            PromotionRule.Decision decision = rule.decide(candidate, current);
            if (!decision.promote()) {
                decide("rejected", decision.reason());
                return record(runDir);
            }
            String version = registry.nextVersion();
            report.put("version", version);
            decide("promoted", decision.reason());
            candidate.write(candidateDir.resolve("metrics.json"));
            JSON.writerWithDefaultPrettyPrinter().writeValue(candidateDir.resolve("report.json").toFile(), report);
            lock.checkHeld();
            registry.promote(candidateDir, version, run);
            log.printf("retrain: %s is production now%n", version);
            return record(runDir);
        }

        /** The recipe, trained into the scratch folder, from a local copy of production when there is one. */
        private Config trainingConfig(Optional<String> production) throws IOException {
            Config c = config.withValue("clip.output.dir", ConfigValueFactory.fromAnyRef(scratch.resolve("train").toString()))
                    // checkpoints stay in this run's scratch: a later run must never resume from this one
                    .withValue("clip.train.checkpoint-dir", ConfigValueFactory.fromAnyRef(""));
            if (production.isEmpty()) {
                return c;
            }
            Path local = scratch.resolve("production");
            registry.download(production.get(), local);
            return c.withValue("clip.model.init", ConfigValueFactory.fromAnyRef("hf"))
                    .withValue("clip.model.checkpoint", ConfigValueFactory.fromAnyRef(local.toString()));
        }

        private Metrics evaluate(String what, Path dir, EvalSet validation, Templates templates, int maxTextLength)
                throws IOException {
            EncoderModel model = EncoderModel.load(dir, maxTextLength, "retrain");
            Metrics metrics = model.evaluate(validation.inputs(model.images()), templates, null).metrics();
            log.printf("retrain: %s on %s: %s %.2f%n", what, validation.description(), retrain.metric(), rule.value(metrics));
            return metrics;
        }

        private void decide(String decision, String reason) {
            report.put("decision", decision).put("reason", reason).put("finished", Instant.now().toString());
            log.printf("retrain: %s: %s%n", decision, reason);
        }

        /** Writes the report into runs/, then deletes versions beyond clip.retrain.keep. */
        private ObjectNode record(Path runDir) throws IOException {
            JSON.writerWithDefaultPrettyPrinter().writeValue(runDir.resolve("report.json").toFile(), report);
            lock.checkHeld();
            registry.recordRun(runDir, run);
            List<String> pruned = registry.prune(retrain.keep());
            if (!pruned.isEmpty()) {
                log.printf("retrain: deleted %s (clip.retrain.keep = %d)%n", String.join(", ", pruned), retrain.keep());
            }
            log.printf("retrain: report in %s%n", registry.runReport(run));
            return report;
        }
    }
}
