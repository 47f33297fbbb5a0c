package clip.train;

import clip.checkpoint.Checkpoint;
import clip.checkpoint.CheckpointStore;
import clip.checkpoint.SliceDigest;
import clip.exchange.Collective;
import clip.exchange.ShardedOptimizer;
import clip.io.BadInputException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Checkpoints of a data-parallel run: every worker writes the parts of the parameters and of
 * the optimizer state it owns, by name; the workers agree that all slices are written, and
 * rank 0 commits the step. A resumed run reads the newest checkpoint that verifies (the number
 * of workers may have changed) and carries on from its step: batches and the learning rate
 * depend only on the step, so the resumed run takes the steps the interrupted one would have
 * taken. A checkpoint whose parameters are not finite or have exploded since the last good one
 * is never written, so pruning never deletes the last good checkpoint for a diverged one.
 */
final class TrainingCheckpoints {
    /**
     * A healthy run does not multiply its parameters' norm by this between two checkpoints (a
     * learning rate of 1e30 multiplies it by about 1e28); the slack of one per value keeps a
     * near-zero start from counting as an explosion.
     */
    private static final double EXPLODED = 100;
    private final CheckpointStore store;
    private final Collective group;
    private final Divergence divergence;
    private final TrainMode mode;
    private final Map<String, INDArray> buffers;
    private long goodStep;
    private double goodNorm;
    private boolean goodCommitted;

    /**
     * @param buffers the buffers training changes (train-mode BatchNorm's running statistics), by
     *     name: rank 0 saves its own (every worker's are the same with SyncBatchNorm; with per-worker
     *     statistics rank 0's are the ones evaluated and exported) and every worker restores them
     */
    TrainingCheckpoints(TrainConfig config, Collective group, Configuration conf, Map<String, INDArray> buffers) {
        this.buffers = buffers;
        this.store = new CheckpointStore(config.checkpointUri(), conf, config.train().keepCheckpoints());
        this.group = group;
        this.divergence = new Divergence(config);
        this.mode = config.train().mode();
    }

    /**
     * Restores the newest checkpoint that verifies when {@code auto} (warning on {@code log}
     * about any it skips); every worker must call it. Takes back the commits of unusable
     * checkpoints past it and prunes, so that the kept checkpoints are usable ones.
     *
     * @param log rank 0's console, or null on the other ranks
     * @return the step to start from (0 without a checkpoint)
     */
    long resume(ShardedOptimizer optimizer, boolean auto, PrintStream log) throws IOException {
        Optional<Checkpoint> found = auto ? store.newestUsable(line -> {
            if (log != null) {
                log.println(line);
            }
        }) : Optional.empty();
        long step = found.map(Checkpoint::step).orElse(0L);
        agree(step);
        if (found.isPresent()) {
            restore(optimizer, found.get());
            if (group.rank() == 0) {
                for (long s : store.committedSteps()) {
                    if (s > step) {
                        store.uncommit(s);
                    }
                }
                store.prune();
                log.printf("resuming at step %d from the checkpoint in %s%n", step, store.root());
            }
        }
        goodStep = step;
        goodNorm = optimizer.parameterNorm();
        goodCommitted = found.isPresent();
        return step;
    }

    /** Every worker must start from the same step; each chose by reading the same files, so a disagreement is a storage fault. */
    private void agree(long step) {
        float[][] all = group.allGather(new float[] {step >>> 24, step & 0xFFFFFF});
        for (int r = 0; r < all.length; r++) {
            long theirs = ((long) all[r][0] << 24) | (long) all[r][1];
            if (theirs != step) {
                throw new IllegalStateException("worker " + r + " would resume at step " + theirs + ", worker " + group.rank()
                        + " at step " + step + ": the checkpoints in " + store.root() + " read differently from different workers");
            }
        }
    }

    private void restore(ShardedOptimizer optimizer, Checkpoint checkpoint) {
        try {
            optimizer.restore(checkpoint.tensors(), checkpoint.state().path("optimizer_steps").asLong());
            restoreBuffers(buffers, checkpoint);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(checkpoint.where() + ": the checkpoint was written by a model with other trainable"
                    + " parameters (" + e.getMessage() + "); resume with the config that wrote it, or set clip.train.resume = never");
        }
    }

    /** Sets {@code buffers} from the checkpoint's tensors of the same names. */
    static void restoreBuffers(Map<String, INDArray> buffers, Checkpoint checkpoint) {
        buffers.forEach((name, buffer) -> {
            float[] values = checkpoint.tensors().get(name);
            if (values == null || values.length != buffer.length()) {
                throw new IllegalArgumentException(name + (values == null ? " is missing" : " has " + values.length
                        + " values, the model " + buffer.length()));
            }
            buffer.assign(Nd4j.createFromArray(values).reshape(buffer.shape()).castTo(buffer.dataType()));
        });
    }

    /** Saves {@code step}; every worker must call it at the same step. */
    void save(long step, ShardedOptimizer optimizer) {
        // Every worker holds the same parameters, so every worker reaches the same verdict.
        double norm = optimizer.parameterNorm();
        if (exploded(norm, optimizer)) {
            throw divergence.exploded(step, norm, goodNorm, goodStep, lastGood());
        }
        String failure = null;
        float[] written = new float[0];
        try {
            Map<String, INDArray> slice = optimizer.ownedState();
            if (group.rank() == 0) {
                buffers.forEach((name, b) -> slice.put(name, b.castTo(DataType.FLOAT).reshape(b.length()).dup()));
            }
            written = store.writeSlice(step, group.rank(), group.size(), slice).toFloats();
        } catch (IOException e) {
            failure = e.getMessage();
        }
        // Agree before committing: a step is committed only if every worker's slice is in place
        // (a worker whose write failed sends no digest).
        List<SliceDigest> digests = new ArrayList<>();
        int failed = 0;
        for (float[] d : group.allGather(written)) {
            if (d.length == 0) {
                failed++;
            } else {
                digests.add(SliceDigest.fromFloats(d));
            }
        }
        if (failed > 0) {
            throw new IllegalStateException("checkpoint of step " + step + " failed on " + failed + " worker(s)"
                    + (failure == null ? "" : "; here: " + failure));
        }
        if (group.rank() == 0) {
            try {
                ObjectNode state = new ObjectMapper().createObjectNode().put("step", step).put("optimizer_steps", optimizer.steps())
                        .put("parameter_norm", norm).put("mode", mode.key());
                store.commit(step, shapes(optimizer, buffers), ranges(optimizer, buffers), digests, state);
            } catch (IOException e) {
                failure = e.getMessage();
            }
        }
        if (group.allReduceSum(new double[] {failure == null ? 0 : 1})[0] > 0) {
            throw new IllegalStateException("committing the checkpoint of step " + step + " failed" + (failure == null ? "" : ": " + failure));
        }
        goodStep = step;
        goodNorm = norm;
        goodCommitted = true;
    }

    /** The stop after {@code inARow} non-finite steps ending at {@code step}, naming the last good checkpoint. */
    BadInputException nonFinite(int inARow, long step, double loss, double gradNorm, ShardedOptimizer optimizer, double logitScale) {
        double norm = optimizer.parameterNorm();
        return divergence.nonFinite(inARow, step, loss, gradNorm, norm, exploded(norm, optimizer), goodNorm, logitScale, lastGood());
    }

    private boolean exploded(double norm, ShardedOptimizer optimizer) {
        long values = optimizer.parameters().values().stream().mapToLong(TrainingCheckpoints::size).sum();
        return !(norm <= EXPLODED * goodNorm + Math.sqrt(values));
    }

    private String lastGood() {
        return goodCommitted ? "the last good checkpoint is step " + goodStep + " (" + store.stepDir(goodStep) + ")"
                : "no checkpoint of this run was written before that";
    }

    /** Every tensor of a slice by name: each trainable parameter and its two AdamW moments, and the trained buffers. */
    private static Map<String, long[]> shapes(ShardedOptimizer optimizer, Map<String, INDArray> buffers) {
        Map<String, long[]> out = new LinkedHashMap<>();
        optimizer.parameters().forEach((name, shape) -> {
            for (String key : keys(name)) {
                out.put(key, shape);
            }
        });
        buffers.forEach((name, b) -> out.put(name, b.shape()));
        return out;
    }

    private static List<Map<String, int[]>> ranges(ShardedOptimizer optimizer, Map<String, INDArray> buffers) {
        List<Map<String, int[]>> out = new ArrayList<>();
        for (int rank = 0; rank < optimizer.workers(); rank++) {
            Map<String, int[]> slice = new LinkedHashMap<>();
            if (rank == 0) {
                buffers.forEach((name, b) -> slice.put(name, new int[] {0, (int) b.length()}));
            }
            for (ShardedOptimizer.Range r : optimizer.owned(rank)) {
                for (String key : keys(r.name())) {
                    slice.put(key, new int[] {r.from(), r.to()});
                }
            }
            out.add(slice);
        }
        return out;
    }

    private static List<String> keys(String parameter) {
        return List.of(parameter, parameter + ShardedOptimizer.EXP_AVG, parameter + ShardedOptimizer.EXP_AVG_SQ);
    }

    private static long size(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }
}
