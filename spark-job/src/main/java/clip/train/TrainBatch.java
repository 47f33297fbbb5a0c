package clip.train;

import clip.model.ContrastiveModel;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One worker's pairs of a step, row i of the images and of the texts a pair. The pairs can be
 * encoded a slice at a time, which is how micro-batches bound activation memory.
 */
public interface TrainBatch {
    long size();

    /** L2-normalised embeddings of images {@code [from, from + count)}, activations kept for the backward pass. */
    INDArray encodeImages(ContrastiveModel model, long from, long count);

    /** L2-normalised embeddings of texts {@code [from, from + count)}, activations kept for the backward pass. */
    INDArray encodeTexts(ContrastiveModel model, long from, long count);
}
