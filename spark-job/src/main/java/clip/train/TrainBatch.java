package clip.train;

import clip.loss.Pairs;

/**
 * One worker's pairs of a step, row i of the images and of the texts a pair. They can be
 * encoded a slice at a time, which is how micro-batches bound activation memory and how the
 * pairs are cut into parts, one per core.
 */
public interface TrainBatch extends Pairs {
}
