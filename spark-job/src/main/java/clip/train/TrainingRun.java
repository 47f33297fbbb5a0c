package clip.train;

import clip.eval.Templates;
import clip.io.BadInputException;
import clip.prep.ShardReader;
import clip.spark.SparkSessions;
import clip.eval.Metrics;
import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;

/**
 * One training job from a resolved configuration, on the engine it asks for: threads of this
 * JVM, or a Spark barrier stage (under spark-submit, or with dist.engine = spark). What
 * bin/clip train, clip.Train and the retraining runs all start. Nothing is written until the
 * configuration and the inputs it names have passed their checks.
 */
public final class TrainingRun {
    private TrainingRun() {
    }

    /**
     * Checks the configuration and its inputs, chooses the run folder ({@link RunFolder}),
     * records the configuration there, trains, evaluates, exports; returns the metrics.
     *
     * @param recipe the recipe's name or file, which names a new run folder
     */
    public static Metrics run(Config resolved, String recipe, PrintStream log) throws IOException, InterruptedException {
        TrainConfig checked = TrainConfig.from(resolved);
        TrainConfig.Engine engine = checked.dist().engine();
        boolean spark = engine == TrainConfig.Engine.SPARK || (engine == TrainConfig.Engine.AUTO && SparkSessions.submitted());
        if (!spark) {
            checkInputs(checked, new Configuration());
            Path dir = RunFolder.choose(checked, recipe, log);
            RunRecord.write(withDir(resolved, dir), dir);
            return new LocalTrainer(checked.withOutputDir(dir), log).run();
        }
        // Under spark-submit the master is the submitter's; bin/clip gets one local slot per worker.
        String master = SparkSessions.submitted() ? null : "local[" + checked.dist().workers() + "]";
        SparkSession session = SparkSessions.getOrCreate("clip train", master);
        try {
            checkInputs(checked, session.sparkContext().hadoopConfiguration());
            Path dir = RunFolder.choose(checked, recipe, log);
            Config config = withDir(resolved, dir);
            RunRecord.write(config, dir);
            return new SparkTrainer(config, checked.withOutputDir(dir), session, log).run();
        } finally {
            session.stop();
        }
    }

    private static Config withDir(Config resolved, Path dir) {
        return resolved.withValue("clip.output.dir", ConfigValueFactory.fromAnyRef(dir.toString()));
    }

    /** What the configuration names that training would otherwise find wrong only later: the HF start, the shards' splits, the templates. */
    private static void checkInputs(TrainConfig config, Configuration hadoop) throws IOException {
        if (config.model().init() == TrainConfig.ModelInit.HF) {
            ModelFactory.checkHfStart(config.model());
        }
        if (config.model().init() == TrainConfig.ModelInit.TOWERS) {
            ModelFactory.checkTowersStart(config.model());
        }
        TrainConfig.Data data = config.data();
        if (data.source() == TrainConfig.DataSource.SHARDS) {
            try {
                org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path(data.shards());
                JsonNode manifest = ShardReader.manifest(root, hadoop);
                ShardReader.entriesOf(manifest, root, data.trainSplit());
                // A damaged validation shard would otherwise surface only after the last step, with no model written.
                for (JsonNode entry : ShardReader.entriesOf(manifest, root, data.valSplit())) {
                    ShardReader.verify(entry, root, hadoop);
                }
            } catch (BadInputException e) {
                throw new BadInputException("config key 'clip.data.shards': " + e.getMessage());
            }
        }
        try {
            Templates.named(config.eval().templates());
        } catch (BadInputException e) {
            throw new BadInputException("config key 'clip.eval.templates': " + e.getMessage());
        }
    }
}
