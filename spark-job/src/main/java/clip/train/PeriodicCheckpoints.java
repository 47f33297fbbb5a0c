package clip.train;

import clip.exchange.ShardedOptimizer;
import java.io.IOException;

/** Every worker saves its slice every {@code clip.train.checkpoint-every} steps and after the last. */
final class PeriodicCheckpoints implements StepHook {
    private final TrainingCheckpoints checkpoints;
    private final ShardedOptimizer optimizer;
    private final TrainProgress progress;
    private final TrainConfig.Train train;

    PeriodicCheckpoints(TrainingCheckpoints checkpoints, ShardedOptimizer optimizer, TrainProgress progress, TrainConfig.Train train) {
        this.checkpoints = checkpoints;
        this.optimizer = optimizer;
        this.progress = progress;
        this.train = train;
    }

    @Override
    public void after(StepResult r) throws IOException {
        int every = train.checkpointEvery();
        if (every > 0 && (r.step() % every == 0 || r.step() == train.steps())) {
            progress.flush(); // the log must reach at least as far as the checkpoint a resume starts from
            checkpoints.save(r.step(), optimizer);
        }
    }
}
