package clip.cli;

import clip.spark.SparkSessions;
import clip.train.CheckpointExport;
import clip.train.LocalTrainer;
import clip.train.SparkTrainer;
import clip.train.TrainConfig;
import com.typesafe.config.Config;
import java.io.PrintStream;
import org.apache.spark.sql.SparkSession;

/** {@code bin/clip train [recipe|file.conf] [key=value ...]}: the training job, on the embedded default unless told otherwise. */
public final class TrainCommand implements Command {
    @Override
    public String name() {
        return "train";
    }

    @Override
    public String summary() {
        return "train a dual encoder (default: the embedded generated dataset) and evaluate it";
    }

    @Override
    public String usage() {
        return String.join("\n",
                "usage: bin/clip train [RECIPE|FILE.conf] [key=value ...]",
                "  RECIPE       a recipe from conf/ (default, tiny) or a HOCON file; default: conf/default.conf",
                "  key=value    overrides, e.g. train.steps=500 optim.lr-image=5e-4 output.dir=runs/x",
                "               (every key is listed, with its meaning, in spark-job/src/main/resources/reference.conf)",
                "writes OUTPUT/model (HF VisionTextDualEncoderModel folder), OUTPUT/metrics.json, OUTPUT/train-log.jsonl,",
                "OUTPUT/config.conf (the resolved configuration), and, when enabled, checkpoints/, eval-log.jsonl, best/");
    }

    @Override
    public int run(Args args, PrintStream out) throws Exception {
        args.rejectUnknown();
        Config loaded = RecipeArgs.of(args.positional()).load();
        TrainConfig config = TrainConfig.from(loaded);
        CheckpointExport.recordConfig(loaded, config.outputDir());
        boolean spark = config.engine().equals("spark") || (config.engine().equals("auto") && SparkSessions.submitted());
        if (!spark) {
            new LocalTrainer(config, out).run();
            return 0;
        }
        // Under spark-submit the master is the submitter's; bin/clip gets one local slot per worker.
        String master = SparkSessions.submitted() ? null : "local[" + config.workers() + "]";
        SparkSession session = SparkSessions.getOrCreate("clip train", master);
        try {
            new SparkTrainer(loaded, config, session, out).run();
        } finally {
            session.stop();
        }
        return 0;
    }
}
