package clip;

import clip.cli.Cli;
import clip.cli.TrainCommand;

/**
 * {@code spark-submit --class clip.Train <jar> [recipe] [key=value ...]}. Training currently
 * runs as a single worker in the driver process; see the README's status section.
 */
public final class Train {
    private Train() {
    }

    public static void main(String[] args) {
        Cli.runAsMain(new TrainCommand(), args);
    }
}
