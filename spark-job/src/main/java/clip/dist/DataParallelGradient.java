package clip.dist;

import clip.model.ContrastiveModel;
import clip.model.Parameter;
import clip.model.TextBatch;
import clip.train.ContrastiveLoss;
import clip.train.LossResult;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * One worker's share of a global-batch gradient. Each worker encodes its local pairs; the
 * embeddings of all workers are gathered so every worker holds the global similarity matrix;
 * each evaluates the global loss, keeps the gradient rows of its own pairs and backpropagates
 * them through its towers. Summed over workers this is exactly the single-machine gradient of
 * the global batch (no missing cross terms, no 1/N factor). The logit scale and bias gradients
 * are global already, so only rank 0 contributes them to the sum.
 */
public final class DataParallelGradient {
    private DataParallelGradient() {
    }

    public static LossResult accumulate(ContrastiveModel model, ContrastiveLoss loss, INDArray pixels, TextBatch text,
                                        Collective group) {
        INDArray images = gather(model.encodeImages(pixels), group);
        INDArray texts = gather(model.encodeTexts(text), group);
        double bias = model.logitBias() == null ? 0 : model.logitBias().value().getDouble(0);
        LossResult r = loss.compute(images, texts, model.logitScale().value().getDouble(0), bias);
        long local = pixels.size(0);
        long from = group.rank() * local;
        model.backwardImages(rows(r.dImageEmbeds(), from, local));
        model.backwardTexts(rows(r.dTextEmbeds(), from, local));
        if (group.rank() == 0) {
            add(model.logitScale(), r.dLogitScale());
            if (model.logitBias() != null) {
                add(model.logitBias(), r.dLogitBias());
            }
        }
        return r;
    }

    /** [b, D] local rows -> [N*b, D], in rank order. */
    private static INDArray gather(INDArray local, Collective group) {
        float[][] parts = group.allGather(local.castTo(DataType.FLOAT).dup('c').data().asFloat());
        long cols = local.size(1);
        float[] all = new float[parts.length * parts[0].length];
        for (int r = 0; r < parts.length; r++) {
            if (parts[r].length != parts[0].length) {
                throw new IllegalStateException("workers disagree on the local batch size");
            }
            System.arraycopy(parts[r], 0, all, r * parts[0].length, parts[r].length);
        }
        return Nd4j.createFromArray(all).reshape(all.length / cols, cols).castTo(local.dataType());
    }

    private static INDArray rows(INDArray m, long from, long count) {
        return m.get(NDArrayIndex.interval(from, from + count), NDArrayIndex.all()).dup('c');
    }

    private static void add(Parameter p, double g) {
        if (p.trainable()) {
            p.grad().addi(g);
        }
    }
}
