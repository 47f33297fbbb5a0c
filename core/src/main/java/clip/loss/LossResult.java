package clip.loss;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A contrastive loss (or one worker's share of it) and its gradients: with respect to every row of
 * the embedding matrices it read, the logit-scale parameter (the log of the multiplier) and the
 * bias; with the image-to-text logits of its rows.
 */
public record LossResult(double loss, INDArray dImageEmbeds, INDArray dTextEmbeds, double dLogitScale,
                         double dLogitBias, INDArray logitsPerImage) {
}
