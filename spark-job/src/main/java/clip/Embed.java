package clip;

import clip.cli.Cli;
import clip.cli.EmbedCommand;

/**
 * {@code spark-submit --class clip.Embed <jar> --model DIR --data SHARDS --out INDEX [...]}: batch
 * embedding on whatever master spark-submit was given (options as {@code bin/clip embed}).
 */
public final class Embed {
    private Embed() {
    }

    public static void main(String[] args) {
        Cli.runAsMain(new EmbedCommand(), args);
    }
}
