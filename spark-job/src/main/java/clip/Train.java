package clip;

import clip.cli.Cli;
import clip.cli.TrainCommand;

/**
 * {@code spark-submit --class clip.Train <jar> [recipe] [key=value ...]}: the training job as a
 * Spark barrier stage with {@code clip.dist.workers} tasks (see {@link clip.train.SparkTrainer}).
 */
public final class Train {
    private Train() {
    }

    public static void main(String[] args) {
        Cli.runAsMain(new TrainCommand(), args);
    }
}
