package clip.loss;


import clip.model.ContrastiveModel;
import clip.model.TextBatch;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Forward, loss and backward for a batch held entirely by one process: the single-machine step
 * that the distributed step must reproduce. Gradients accumulate into the model's parameters.
 */
public final class BatchGradient {
    private BatchGradient() {
    }

    public static LossResult accumulate(ContrastiveModel model, ContrastiveLoss loss, INDArray pixels, TextBatch text) {
        INDArray images = model.encodeImages(pixels);
        INDArray texts = model.encodeTexts(text);
        double bias = model.logitBias() == null ? 0 : model.logitBias().value().getDouble(0);
        LossResult r = loss.compute(images, texts, model.logitScale().value().getDouble(0), bias);
        model.backwardImages(r.dImageEmbeds());
        model.backwardTexts(r.dTextEmbeds());
        addScalar(model.logitScale(), r.dLogitScale());
        if (model.logitBias() != null) {
            addScalar(model.logitBias(), r.dLogitBias());
        }
        return r;
    }

    static void addScalar(clip.layers.Parameter p, double g) {
        if (p.trainable()) {
            p.grad().addi(g);
        }
    }
}
