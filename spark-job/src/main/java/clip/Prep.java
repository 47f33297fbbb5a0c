package clip;

import clip.cli.Cli;
import clip.cli.PrepCommand;

/**
 * {@code spark-submit --class clip.Prep <jar> --format coco --root SRC --out DST [...]}: the
 * dataset conversion on whatever master spark-submit was given (options as {@code bin/clip prep}).
 */
public final class Prep {
    private Prep() {
    }

    public static void main(String[] args) {
        Cli.runAsMain(new PrepCommand(), args, "strict");
    }
}
