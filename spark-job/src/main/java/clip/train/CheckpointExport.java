package clip.train;

import clip.checkpoint.Checkpoint;
import clip.checkpoint.CheckpointStore;
import clip.exchange.ShardedOptimizer;
import clip.io.BadInputException;
import clip.io.LocalFiles;
import clip.layers.Parameter;
import clip.model.ContrastiveModel;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A training checkpoint as an HF model folder. The run's record of its configuration
 * ({@link RunRecord}) rebuilds the model, its {@link TrainMode} says which parameters trained,
 * and the checkpoint's tensors of those names fill them in; the frozen ones are the model's
 * starting weights, which the configuration reproduces.
 */
public final class CheckpointExport {
    private CheckpointExport() {
    }

    /**
     * @param step the checkpoint to export, or -1 for the newest that verifies
     * @return the step exported
     */
    public static long export(Path run, long step, Path out, PrintStream log) throws IOException {
        TrainConfig config = RunRecord.read(run);
        Checkpoint checkpoint = checkpoint(config, step, log);
        boolean created = !Files.exists(out);
        Path work = out.resolve(".work");
        boolean written = false;
        try {
            ModelFactory.Built built = ModelFactory.build(config, work);
            ContrastiveModel model = built.model();
            config.train().mode().applyTo(model);
            fill(model, checkpoint, config.train().mode().trainedBuffers(model));
            HfExport.write(built, config.model().maxTextLength(), out);
            written = true;
        } finally {
            LocalFiles.deleteTree(work);
            if (!written && created) {
                LocalFiles.deleteTree(out);
            }
        }
        log.printf("exported step %d of %s to %s%n", checkpoint.step(), run, out);
        return checkpoint.step();
    }

    private static Checkpoint checkpoint(TrainConfig config, long step, PrintStream log) throws IOException {
        CheckpointStore store = new CheckpointStore(config.checkpointUri(), new Configuration(), config.train().keepCheckpoints());
        if (step >= 0) {
            List<Long> steps = store.committedSteps();
            if (!steps.contains(step)) {
                throw new BadInputException(store.root() + ": no committed checkpoint of step " + step + "; there are " + steps);
            }
            return store.load(step);
        }
        return store.newestUsable(log::println).orElseThrow(() -> new BadInputException(store.root() + ": no committed checkpoint"
                + (config.train().checkpointEvery() > 0 ? " (the run stopped before its first, due at step " + config.train().checkpointEvery() + ")"
                : " (the run needs clip.train.checkpoint-every)")));
    }

    /**
     * Sets the model's trainable parameters (and the buffers its mode trains) from the checkpoint,
     * which must hold exactly those (and the parameters' moments).
     */
    private static void fill(ContrastiveModel model, Checkpoint checkpoint, Map<String, INDArray> buffers) {
        Map<String, float[]> tensors = checkpoint.tensors();
        Set<String> trainable = new TreeSet<>();
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            Parameter p = e.getValue();
            if (!p.trainable()) {
                continue;
            }
            trainable.add(e.getKey());
            float[] values = tensors.get(e.getKey());
            if (values == null || values.length != p.size()) {
                throw new BadInputException(checkpoint.where() + ": " + e.getKey() + (values == null ? " is missing" : " has "
                        + values.length + " values, the model " + p.size()) + " (was config.conf of the run edited?)");
            }
            p.value().assign(Nd4j.createFromArray(values).reshape(p.value().shape()));
        }
        try {
            TrainingCheckpoints.restoreBuffers(buffers, checkpoint);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(checkpoint.where() + ": " + e.getMessage() + " (was config.conf of the run edited?)");
        }
        trainable.addAll(buffers.keySet());
        Set<String> extra = new TreeSet<>(checkpoint.shapes().keySet());
        extra.removeIf(k -> trainable.contains(k.replaceFirst("(" + Pattern.quote(ShardedOptimizer.EXP_AVG) + "|"
                + Pattern.quote(ShardedOptimizer.EXP_AVG_SQ) + ")$", "")));
        if (!extra.isEmpty()) {
            throw new BadInputException(checkpoint.where() + ": holds " + extra.iterator().next() + ", which the run's mode ("
                    + checkpoint.state().path("mode").asText("?") + ") does not train here (was config.conf of the run edited?)");
        }
    }
}
