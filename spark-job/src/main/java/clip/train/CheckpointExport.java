package clip.train;


import clip.io.LocalFiles;
import clip.exchange.InProcessGroup;
import clip.exchange.ShardedOptimizer;
import clip.io.BadInputException;
import clip.model.ContrastiveModel;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;

/**
 * A training checkpoint as an HF model folder. The run's own record of its configuration
 * ({@code config.conf}, written when it starts) rebuilds the model with the same trainable
 * parameters in the same order; the checkpoint's slices then fill them in.
 */
public final class CheckpointExport {
    /** The resolved configuration a run records in its output folder. */
    public static final String RUN_CONFIG = "config.conf";

    private CheckpointExport() {
    }

    /** Writes the resolved {@code clip} block into the run folder, so the run can be rebuilt later. */
    public static void recordConfig(com.typesafe.config.Config resolved, Path outputDir) throws IOException {
        Files.createDirectories(outputDir);
        String text = resolved.withOnlyPath("clip").root().render(ConfigRenderOptions.defaults().setOriginComments(false)
                .setComments(false).setJson(false));
        Files.writeString(outputDir.resolve(RUN_CONFIG), text, StandardCharsets.UTF_8);
    }

    /**
     * @param step the checkpoint to export, or -1 for the newest
     * @return the step exported
     */
    public static long export(Path run, long step, Path out, PrintStream log) throws IOException {
        Path recorded = run.resolve(RUN_CONFIG);
        if (!Files.isRegularFile(recorded)) {
            throw new BadInputException(recorded + ": no such file (is " + run + " a training run's output folder?)");
        }
        TrainConfig config = TrainConfig.from(ConfigFactory.parseFile(recorded.toFile()));
        ModelFactory.Built built = ModelFactory.build(config, out.resolve(".work"));
        ContrastiveModel model = built.model();
        config.train().mode().applyTo(model);
        InProcessGroup alone = new InProcessGroup(1, config.dist().timeoutMillis());
        ShardedOptimizer state = new ShardedOptimizer(model.namedParameters(), config.optim().groups(), config.optim().adamW(),
                alone.member(0), config.train().gradClip());
        TrainingCheckpoints checkpoints = new TrainingCheckpoints(config.checkpointUri(), config.train().keepCheckpoints(), alone.member(0),
                new Configuration());
        List<Long> steps = checkpoints.steps();
        if (steps.isEmpty()) {
            throw new BadInputException(config.checkpointUri() + ": no committed checkpoint (the run needs clip.train.checkpoint-every)");
        }
        long chosen = step < 0 ? steps.get(steps.size() - 1) : step;
        if (!steps.contains(chosen)) {
            throw new BadInputException(config.checkpointUri() + ": no committed checkpoint of step " + chosen + "; there are " + steps);
        }
        checkpoints.restore(state, chosen);
        Path vocab = built.vocab();
        HfExport.write(model, built.hfConfig(), vocab, config.model().maxTextLength(), out);
        LocalFiles.deleteTree(out.resolve(".work"));
        log.printf("exported step %d of %s to %s%n", chosen, run, out);
        return chosen;
    }
}
