package clip.train;

import java.security.MessageDigest;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The images a worker trains on, each with its captions, and which of them make up the worker's
 * pairs at each step. Training batches and the tower-feature cache are both built from this.
 */
interface CaptionedImages {
    /** Images held by this worker. */
    int size();

    /** Images of the whole training split, held by all workers together. */
    int splitSize();

    List<String> captions(int row);

    /** The given rows' images [n, 3, S, S] as evaluation sees them: no augmentation. */
    INDArray images(int[] rows);

    /** The given rows' images as step {@code step} trains on them (a random crop, where there is one). */
    INDArray trainingImages(int[] rows, long step);

    /** This worker's rows of step {@code step} and, for each, which of its captions is used. */
    BatchSampler.Sample draw(long step, int globalBatch, int rank, int workers);

    /** Adds what the rows are (images as preprocessed, captions) to {@code md}: cached features are keyed by it. */
    void digest(MessageDigest md);
}
