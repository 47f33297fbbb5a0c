package clip.loss;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A loss over matching image/text rows. Row i of each matrix is a positive pair; every other
 * pairing is a negative.
 *
 * <p>In data-parallel training each worker holds B of the N rows of the global batch and
 * evaluates only its share of the loss ({@link #computeShare}, OpenCLIP's local loss): the terms
 * of its rows against every gathered row. The shares of all workers add up to the global loss,
 * and their gradients, once summed onto the rows' owners, to the global gradient.
 */
public interface ContrastiveLoss {
    /**
     * The loss of a whole batch held by one process: the share of a worker holding every row.
     *
     * @param imageEmbeds [N, D], L2-normalised
     * @param textEmbeds [N, D], L2-normalised
     * @param logitScale the stored parameter s; logits are multiplied by exp(s)
     * @param logitBias added to every logit (SigLIP); ignored by the CLIP loss
     */
    default LossResult compute(INDArray imageEmbeds, INDArray textEmbeds, double logitScale, double logitBias) {
        return computeShare(imageEmbeds, textEmbeds, shareReadsAllImages() ? imageEmbeds : null, textEmbeds, 0,
                logitScale, logitBias);
    }

    /**
     * One worker's share of the global-batch loss: the terms of global rows
     * {@code firstRow .. firstRow + B}, scaled so that the shares of all workers sum to the global
     * loss (and their gradients to its gradient).
     *
     * @param images this worker's images [B, D]
     * @param texts this worker's texts [B, D]
     * @param allImages every worker's images in rank order [N, D]; null when
     *     {@link #shareReadsAllImages()} is false
     * @param allTexts every worker's texts in rank order [N, D]
     * @param firstRow the global index of this worker's first row
     * @return the share's value; its gradient with respect to every row of {@code allTexts}, and of
     *     {@code allImages} when given, else of {@code images}; the gradients of the share with
     *     respect to the logit scale and bias; and the share's rows of the image-to-text logits [B, N]
     */
    LossResult computeShare(INDArray images, INDArray texts, INDArray allImages, INDArray allTexts, long firstRow,
                            double logitScale, double logitBias);

    /**
     * Whether a worker's share reads every worker's images (CLIP: its texts are classified against
     * all images) or only its own (SigLIP: each pair's term is counted once, with its image's owner).
     */
    boolean shareReadsAllImages();

    /** Whether the model needs a learned logit bias. */
    boolean usesBias();
}
