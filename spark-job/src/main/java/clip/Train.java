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
        String[] argv = new String[args.length + 1];
        argv[0] = "train";
        System.arraycopy(args, 0, argv, 1, args.length);
        int code = new Cli().register(new TrainCommand()).run(argv, System.out, System.err);
        if (code != 0) {
            System.exit(code);
        }
    }
}
