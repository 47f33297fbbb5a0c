package clip.cli;

import clip.retrain.RegistryLockedException;
import clip.retrain.Retrainer;
import java.io.PrintStream;
import org.apache.hadoop.conf.Configuration;

/** {@code bin/clip retrain --registry DIR [recipe] [key=value ...]}: one scheduled retraining run (see {@link Retrainer}). */
public final class RetrainCommand implements Command {
    /** The exit code of a run that did not start because another run holds the registry's lock. */
    public static final int LOCKED = 3;
    private final Configuration hadoop;

    public RetrainCommand() {
        this(new Configuration());
    }

    /** @param hadoop how the registry's and the data's URIs are resolved */
    public RetrainCommand(Configuration hadoop) {
        this.hadoop = hadoop;
    }

    @Override
    public String name() {
        return "retrain";
    }

    @Override
    public String summary() {
        return "train from a registry's production model on the shards, promote the result only if it evaluates better";
    }

    @Override
    public String usage() {
        return String.join("\n",
                "usage: bin/clip retrain --registry DIR [RECIPE|FILE.conf] [key=value ...]",
                "  --registry DIR  the model registry: a local folder or any Hadoop URI (created if absent)",
                "  RECIPE          as for bin/clip train; it must train on shards: data.source=shards data.shards=PREP_OUTPUT",
                "  key=value       overrides; retrain.metric, retrain.margin, retrain.keep, retrain.val-data,",
                "                  retrain.lock-timeout, retrain.scratch, retrain.require-new-data (see reference.conf)",
                "warm-starts from REGISTRY/production, evaluates candidate and production on the same validation split,",
                "promotes the candidate if its metric > production's + margin, writes REGISTRY/runs/<run>/report.json.",
                "exit codes: 0 done (promoted, rejected or skipped), 1 failed (the registry is left as it was),",
                "            2 bad input, " + LOCKED + " another run holds REGISTRY/LOCK");
    }

    @Override
    public int run(Args args, PrintStream out) throws Exception {
        String registry = args.required("registry");
        args.rejectUnknown();
        Retrainer retrainer = new Retrainer(RecipeArgs.of(args.positional()).load(), registry, hadoop, out);
        try {
            retrainer.run();
            return 0;
        } catch (RegistryLockedException e) {
            out.println("retrain: not started: " + e.getMessage());
            return LOCKED;
        }
    }
}
