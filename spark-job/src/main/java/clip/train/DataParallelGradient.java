package clip.train;

import clip.exchange.Collective;

import clip.model.ContrastiveModel;
import clip.layers.Parameter;
import clip.layers.StepMemory;
import clip.loss.ContrastiveLoss;
import clip.loss.LossResult;
import clip.loss.SplitBatchGradient;
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
 *
 * <p>With micro-batches the loss is still the whole global batch's: the local pairs are encoded a
 * micro-batch at a time without keeping activations, the loss gradient is taken over all the
 * gathered embeddings, then each micro-batch is encoded again and backpropagated with its rows of
 * that gradient (the GradCache scheme, OpenCLIP's accum_freq). Activation memory is one
 * micro-batch's, for one more forward pass.
 */
public final class DataParallelGradient {
    private DataParallelGradient() {
    }

    /** @param microBatches pieces the local pairs are encoded in; must divide their number */
    public static LossResult accumulate(ContrastiveModel model, ContrastiveLoss loss, TrainBatch batch, Collective group,
                                        int microBatches) {
        return accumulate(model, loss, batch, group, microBatches, null);
    }

    /**
     * @param parts when not null (and one micro-batch), the local pairs are encoded and
     *              backpropagated in its parts side by side, one per core
     */
    public static LossResult accumulate(ContrastiveModel model, ContrastiveLoss loss, TrainBatch batch, Collective group,
                                        int microBatches, SplitBatchGradient parts) {
        long local = batch.size();
        if (parts != null && microBatches == 1) {
            LossResult[] result = new LossResult[1];
            parts.accumulate(batch, (images, texts) -> {
                result[0] = globalLoss(model, loss, gather(images, group), gather(texts, group));
                long from = group.rank() * local;
                return new INDArray[] {rows(result[0].dImageEmbeds(), from, local), rows(result[0].dTextEmbeds(), from, local)};
            });
            addScalars(model, result[0], group);
            return result[0];
        }
        if (microBatches < 1 || local % microBatches != 0) {
            throw new IllegalArgumentException(local + " local pairs cannot be cut into " + microBatches + " micro-batches");
        }
        long m = local / microBatches;
        INDArray images;
        INDArray texts;
        if (microBatches == 1) {
            images = gather(batch.encodeImages(model, 0, local), group);
            texts = gather(batch.encodeTexts(model, 0, local), group);
        } else {
            INDArray[] imageParts = new INDArray[microBatches];
            INDArray[] textParts = new INDArray[microBatches];
            for (int k = 0; k < microBatches; k++) {
                try (var ws = StepMemory.openMicroBatch()) {
                    INDArray img = batch.encodeImages(model, k * m, m);
                    INDArray txt = batch.encodeTexts(model, k * m, m);
                    imageParts[k] = StepMemory.outside(img::dup);
                    textParts[k] = StepMemory.outside(txt::dup);
                }
            }
            images = gather(Nd4j.vstack(imageParts), group);
            texts = gather(Nd4j.vstack(textParts), group);
        }
        LossResult r = globalLoss(model, loss, images, texts);
        long from = group.rank() * local;
        if (microBatches == 1) {
            model.backwardImages(rows(r.dImageEmbeds(), from, local));
            model.backwardTexts(rows(r.dTextEmbeds(), from, local));
        } else {
            for (int k = 0; k < microBatches; k++) {
                try (var ws = StepMemory.openMicroBatch()) {
                    batch.encodeImages(model, k * m, m);
                    model.backwardImages(rows(r.dImageEmbeds(), from + k * m, m));
                    batch.encodeTexts(model, k * m, m);
                    model.backwardTexts(rows(r.dTextEmbeds(), from + k * m, m));
                }
            }
        }
        addScalars(model, r, group);
        return r;
    }

    private static LossResult globalLoss(ContrastiveModel model, ContrastiveLoss loss, INDArray images, INDArray texts) {
        double bias = model.logitBias() == null ? 0 : model.logitBias().value().getDouble(0);
        return loss.compute(images, texts, model.logitScale().value().getDouble(0), bias);
    }

    private static void addScalars(ContrastiveModel model, LossResult r, Collective group) {
        if (group.rank() == 0) {
            add(model.logitScale(), r.dLogitScale());
            if (model.logitBias() != null) {
                add(model.logitBias(), r.dLogitBias());
            }
        }
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
