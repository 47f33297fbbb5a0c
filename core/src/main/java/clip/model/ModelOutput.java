package clip.model;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A two-tower forward pass: each tower's output, the projected features before and after L2
 * normalisation, and logits_per_text = exp(logit_scale) * text_embeds @ image_embeds^T (+ bias).
 */
public record ModelOutput(TowerOutput vision, TowerOutput text, INDArray imageFeatures, INDArray textFeatures,
                          INDArray imageEmbeds, INDArray textEmbeds, INDArray logitsPerText) {
    public INDArray logitsPerImage() {
        return logitsPerText.transpose().dup('c');
    }
}
