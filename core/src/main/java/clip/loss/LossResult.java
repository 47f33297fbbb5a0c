package clip.loss;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A contrastive loss over a (global) batch and its gradients: with respect to every row of
 * both embedding matrices, the logit-scale parameter (the log of the multiplier) and the bias.
 */
public record LossResult(double loss, INDArray dImageEmbeds, INDArray dTextEmbeds, double dLogitScale,
                         double dLogitBias, INDArray logitsPerImage) {
}
