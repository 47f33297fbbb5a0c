package clip.cli;

import clip.config.Recipes;
import clip.train.TrainingRun;
import java.io.PrintStream;

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
                "  RECIPE       a recipe from conf/ (" + String.join(", ", Recipes.names()) + ") or a HOCON file; default: conf/default.conf",
                "  key=value    overrides, e.g. train.steps=500 optim.lr-image=5e-4 output.dir=runs/x",
                "               (every key is listed, with its meaning, in spark-job/src/main/resources/reference.conf)",
                "OUTPUT is output.dir, or else a new folder runs/RECIPE-<UTC time> (printed; runs/latest links to it);",
                "name an earlier run's folder as output.dir to resume it.",
                "writes OUTPUT/model (HF VisionTextDualEncoderModel folder), OUTPUT/metrics.json, OUTPUT/train-log.jsonl,",
                "OUTPUT/config.conf (the resolved configuration), and, when enabled, checkpoints/, eval-log.jsonl, best/");
    }

    @Override
    public int run(Args args, PrintStream out) throws Exception {
        args.rejectUnknown();
        RecipeArgs recipe = RecipeArgs.of(args.positional());
        TrainingRun.run(recipe.load(), recipe.recipe(), out);
        return 0;
    }
}
