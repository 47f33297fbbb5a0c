package clip.train;

import clip.model.TextBatch;
import org.nd4j.linalg.api.ndarray.INDArray;

/** One worker's part of a step: images and captions, row i of each a pair. */
public record TrainBatch(INDArray pixels, TextBatch text) {
}
