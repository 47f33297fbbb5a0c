package clip.layers;

/**
 * Where train-mode BatchNorm adds up its per-channel sums. {@link #LOCAL}: this replica's batch
 * alone (PyTorch DDP's default BatchNorm). A data-parallel trainer passes one that sums over every
 * worker of the step (SyncBatchNorm), so N workers normalise with the global batch's statistics,
 * as one worker on the whole batch does. The layers stay free of any transport: the trainer owns it.
 */
@FunctionalInterface
public interface BatchStatistics {
    /** Only this replica's values. */
    BatchStatistics LOCAL = local -> local;

    /**
     * The element-wise sum of {@code local} over every replica normalising the same batch; every
     * replica calls it with arrays of the same length, in the same order of layers.
     */
    double[] sum(double[] local);
}
