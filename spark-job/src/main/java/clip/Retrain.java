package clip;

import clip.cli.Cli;
import clip.cli.RetrainCommand;

/**
 * {@code spark-submit --class clip.Retrain <jar> --registry DIR [recipe] [key=value ...]}: one
 * scheduled retraining run; the exit code says promoted-or-not (0), failed (1), bad input (2) or
 * another run active (3). Training runs in the driver, as bin/clip retrain does.
 */
public final class Retrain {
    private Retrain() {
    }

    public static void main(String[] args) {
        Cli.runAsMain(new RetrainCommand(), args);
    }
}
