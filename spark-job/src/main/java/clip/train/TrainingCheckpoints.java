package clip.train;

import clip.exchange.Collective;
import clip.exchange.ShardedOptimizer;
import clip.io.BadInputException;
import clip.checkpoint.CheckpointStore;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Checkpoints of a data-parallel run: every worker writes its slice of the parameters and of
 * the optimizer state, the workers agree that all slices are written, and rank 0 commits the
 * step. A resumed run reads every slice (the number of workers may have changed) and carries on
 * from the committed step: batches and the learning rate depend only on the step, so the
 * resumed run takes the steps the interrupted one would have taken.
 */
final class TrainingCheckpoints {
    private final CheckpointStore store;
    private final Collective group;

    TrainingCheckpoints(URI dir, int keep, Collective group, Configuration conf) {
        this.store = new CheckpointStore(dir, conf, keep);
        this.group = group;
    }

    /** Saves {@code step}; every worker must call it at the same step. */
    void save(long step, ShardedOptimizer optimizer, ObjectNode state) {
        String failure = null;
        try {
            store.writeShard(step, group.rank(), group.size(), optimizer.stateShard());
        } catch (IOException e) {
            failure = e.getMessage();
        }
        // Agree before committing: a step is committed only if every worker's slice is in place.
        double failed = group.allReduceSum(new double[] {failure == null ? 0 : 1})[0];
        if (failed > 0) {
            throw new IllegalStateException("checkpoint of step " + step + " failed on " + (int) failed + " worker(s)"
                    + (failure == null ? "" : "; here: " + failure));
        }
        if (group.rank() == 0) {
            try {
                store.commit(step, group.size(), state.put("layout", optimizer.layout()).put("optimizer_steps", optimizer.steps()));
            } catch (IOException e) {
                failure = e.getMessage();
            }
        }
        if (group.allReduceSum(new double[] {failure == null ? 0 : 1})[0] > 0) {
            throw new IllegalStateException("committing the checkpoint of step " + step + " failed" + (failure == null ? "" : ": " + failure));
        }
    }

    /** Restores the newest committed checkpoint, if any; returns its training state. */
    Optional<JsonNode> restoreLatest(ShardedOptimizer optimizer) throws IOException {
        Optional<Long> latest = store.latest();
        return latest.isEmpty() ? Optional.empty() : Optional.of(restore(optimizer, latest.get()));
    }

    /** Committed steps, oldest first. */
    List<Long> steps() throws IOException {
        return store.committedSteps();
    }

    /** Restores committed step {@code step}; returns its training state. */
    JsonNode restore(ShardedOptimizer optimizer, long step) throws IOException {
        JsonNode manifest = store.manifest(step);
        JsonNode state = manifest.path("state");
        if (!state.path("layout").asText().equals(optimizer.layout())) {
            throw new BadInputException(store.stepDir(step) + ": the checkpoint was written by a model with other trainable"
                    + " parameters; resume with the config that wrote it, or set clip.train.resume = never");
        }
        int shards = manifest.path("num_shards").asInt();
        List<Map<String, INDArray>> parts = new ArrayList<>();
        for (int s = 0; s < shards; s++) {
            parts.add(store.readShard(step, s, shards));
        }
        optimizer.restore(parts, state.path("optimizer_steps").asLong());
        return state;
    }

    static ObjectNode state(long step) {
        return new ObjectMapper().createObjectNode().put("step", step);
    }
}
