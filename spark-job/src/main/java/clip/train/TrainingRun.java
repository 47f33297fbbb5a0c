package clip.train;

import clip.spark.SparkSessions;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import java.io.IOException;
import java.io.PrintStream;
import org.apache.spark.sql.SparkSession;

/**
 * One training job from a resolved configuration, on the engine it asks for: threads of this
 * JVM, or a Spark barrier stage (under spark-submit, or with dist.engine = spark). What
 * bin/clip train, clip.Train and the retraining runs all start.
 */
public final class TrainingRun {
    private TrainingRun() {
    }

    /** Records the configuration in the output folder, trains, evaluates, exports; returns the metrics. */
    public static ObjectNode run(Config resolved, PrintStream log) throws IOException, InterruptedException {
        TrainConfig config = TrainConfig.from(resolved);
        RunRecord.write(resolved, config.outputDir());
        boolean spark = config.engine().equals("spark") || (config.engine().equals("auto") && SparkSessions.submitted());
        if (!spark) {
            return new LocalTrainer(config, log).run();
        }
        // Under spark-submit the master is the submitter's; bin/clip gets one local slot per worker.
        String master = SparkSessions.submitted() ? null : "local[" + config.workers() + "]";
        SparkSession session = SparkSessions.getOrCreate("clip train", master);
        try {
            return new SparkTrainer(resolved, config, session, log).run();
        } finally {
            session.stop();
        }
    }
}
