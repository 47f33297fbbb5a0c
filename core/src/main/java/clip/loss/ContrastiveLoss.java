package clip.loss;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A loss over matching image/text rows. Row i of each matrix is a positive pair; every other
 * pairing is a negative. Gradients are for the whole matrices: in data-parallel training each
 * worker evaluates the loss of the gathered global batch and keeps its own rows.
 */
public interface ContrastiveLoss {
    /**
     * @param imageEmbeds [N, D], L2-normalised
     * @param textEmbeds [N, D], L2-normalised
     * @param logitScale the stored parameter s; logits are multiplied by exp(s)
     * @param logitBias added to every logit (SigLIP); ignored by the CLIP loss
     */
    LossResult compute(INDArray imageEmbeds, INDArray textEmbeds, double logitScale, double logitBias);

    /** Whether the model needs a learned logit bias. */
    boolean usesBias();
}
