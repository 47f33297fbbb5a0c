package clip.train;

import clip.eval.Metrics;
import clip.exchange.ShardedOptimizer;
import java.io.IOException;
import java.io.PrintStream;

/** Rank 0 evaluates every {@code clip.eval.every} steps before the last (the last is {@link RunOutputs}'). */
final class PeriodicEvaluation implements StepHook {
    private final Validation validation;
    private final ShardedOptimizer optimizer;
    private final TrainConfig config;
    private final PrintStream log;

    PeriodicEvaluation(Validation validation, ShardedOptimizer optimizer, TrainConfig config, PrintStream log) {
        this.validation = validation;
        this.optimizer = optimizer;
        this.config = config;
        this.log = log;
    }

    @Override
    public void after(StepResult r) throws IOException {
        int every = config.eval().every();
        if (every > 0 && r.step() % every == 0 && r.step() < config.train().steps()) {
            optimizer.awaitParameters(); // the step's gather may still be under way
            Metrics m = validation.evaluate(r.step());
            log.printf("eval at step %d: %s %.2f%n", r.step(), config.eval().metric(), m.value(config.eval().metric()));
        }
    }
}
