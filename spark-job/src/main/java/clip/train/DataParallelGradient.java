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
 * One worker's share of a global-batch gradient. Each worker encodes its local pairs and the
 * embeddings of all workers are gathered. Summed over workers the result is exactly the
 * single-machine gradient of the global batch (no missing cross terms, no 1/N factor), computed
 * one of two ways:
 *
 * <ul>
 *   <li>local loss (OpenCLIP's local_loss with gather_with_grad): each worker evaluates only its
 *   share of the loss, its rows against every gathered row, in O(B N D) rather than O(N^2 D). The
 *   share's gradient reaches every gathered embedding; a reduce-scatter sums each row's
 *   gradients from all workers onto the row's owner, which backpropagates them through its
 *   towers. Every worker adds its share's logit scale and bias gradients.
 *   <li>global loss: every worker evaluates the whole N x N loss, keeps the gradient rows of its
 *   own pairs, and only rank 0 contributes the (already global) logit scale and bias gradients.
 * </ul>
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

    /** The gradient of the global loss with respect to this worker's embeddings and the logit scale and bias. */
    private record OwnGradient(double globalLoss, INDArray dImages, INDArray dTexts, double dLogitScale, double dLogitBias) {
    }

    /**
     * @param microBatches pieces the local pairs are encoded in; must divide their number
     * @param localLoss whether each worker evaluates only its share of the loss (else all of it)
     * @return the global batch's loss
     */
    public static double accumulate(ContrastiveModel model, ContrastiveLoss loss, TrainBatch batch, Collective group,
                                    int microBatches, boolean localLoss) {
        return accumulate(model, loss, batch, group, microBatches, localLoss, null);
    }

    /**
     * @param parts when not null (and one micro-batch), the local pairs are encoded and
     *              backpropagated in its parts side by side, one per core
     */
    public static double accumulate(ContrastiveModel model, ContrastiveLoss loss, TrainBatch batch, Collective group,
                                    int microBatches, boolean localLoss, SplitBatchGradient parts) {
        long local = batch.size();
        if (parts != null && microBatches == 1) {
            model.logitsNeeded();
            double scale = model.logitScale().value().getDouble(0);
            double bias = logitBias(model);
            OwnGradient[] own = new OwnGradient[1];
            parts.accumulate(batch, (images, texts) -> {
                own[0] = ownGradient(loss, images, texts, group, scale, bias, localLoss);
                return new INDArray[] {own[0].dImages(), own[0].dTexts()};
            });
            addScalars(model, own[0]);
            return own[0].globalLoss();
        }
        if (microBatches < 1 || local % microBatches != 0) {
            throw new IllegalArgumentException(local + " local pairs cannot be cut into " + microBatches + " micro-batches");
        }
        long m = local / microBatches;
        INDArray images;
        INDArray texts;
        if (microBatches == 1) {
            images = batch.encodeImages(model, 0, local);
            texts = batch.encodeTexts(model, 0, local);
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
            images = Nd4j.vstack(imageParts);
            texts = Nd4j.vstack(textParts);
        }
        model.logitsNeeded(); // read after the towers: an overlapped gather brings the logit scale last
        OwnGradient g = ownGradient(loss, images, texts, group, model.logitScale().value().getDouble(0), logitBias(model), localLoss);
        if (microBatches == 1) {
            // The text tower first: its last gradient, the word embeddings (23 MB of the 39 MB the tiny
            // bench model exchanges), then crosses in its bucket while the image tower's longer backward pass
            // runs, instead of after the whole backward pass. 2 namespace hosts, 10 Gbit/s: 18% of the step
            // exposed before, 7% after (BENCHMARKS.md). The order changes no bit: the towers share no parameter.
            model.backwardTexts(g.dTexts());
            model.backwardImages(g.dImages());
        } else {
            for (int k = 0; k < microBatches; k++) {
                try (var ws = StepMemory.openMicroBatch()) {
                    batch.encodeImages(model, k * m, m);
                    model.backwardImages(rows(g.dImages(), k * m, m));
                    batch.encodeTexts(model, k * m, m);
                    model.backwardTexts(rows(g.dTexts(), k * m, m));
                }
            }
        }
        addScalars(model, g);
        return g.globalLoss();
    }

    private static OwnGradient ownGradient(ContrastiveLoss loss, INDArray images, INDArray texts, Collective group,
                                           double scale, double bias, boolean localLoss) {
        return localLoss ? localLoss(loss, images, texts, group, scale, bias) : globalLoss(loss, images, texts, group, scale, bias);
    }

    private static double logitBias(ContrastiveModel model) {
        return model.logitBias() == null ? 0 : model.logitBias().value().getDouble(0);
    }

    private static void addScalars(ContrastiveModel model, OwnGradient g) {
        add(model.logitScale(), g.dLogitScale());
        if (model.logitBias() != null) {
            add(model.logitBias(), g.dLogitBias());
        }
    }

    private static OwnGradient localLoss(ContrastiveLoss loss, INDArray images, INDArray texts, Collective group,
                                         double scale, double bias) {
        INDArray allImages = loss.shareReadsAllImages() ? gather(images, group) : null;
        LossResult share = loss.computeShare(images, texts, allImages, gather(texts, group), group.rank() * images.size(0),
                scale, bias);
        INDArray dImages = allImages == null ? share.dImageEmbeds() : sumOntoOwners(share.dImageEmbeds(), group);
        INDArray dTexts = sumOntoOwners(share.dTextEmbeds(), group);
        // the shares add up to the global loss; every worker needs it (a non-finite one skips the step everywhere)
        double globalLoss = group.allReduceSum(new double[] {share.loss()})[0];
        return new OwnGradient(globalLoss, dImages, dTexts, share.dLogitScale(), share.dLogitBias());
    }

    private static OwnGradient globalLoss(ContrastiveLoss loss, INDArray images, INDArray texts, Collective group,
                                          double scale, double bias) {
        LossResult r = loss.compute(gather(images, group), gather(texts, group), scale, bias);
        long local = images.size(0);
        long from = group.rank() * local;
        boolean lead = group.rank() == 0;
        return new OwnGradient(r.loss(), rows(r.dImageEmbeds(), from, local), rows(r.dTextEmbeds(), from, local),
                lead ? r.dLogitScale() : 0, lead ? r.dLogitBias() : 0);
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

    /**
     * [N*b, D] gradient of this worker's share with respect to every worker's rows -> [b, D], the
     * sum of all workers' gradients for this worker's rows (a reduce-scatter).
     */
    private static INDArray sumOntoOwners(INDArray gradient, Collective group) {
        long rowsEach = gradient.size(0) / group.size();
        float[][] send = new float[group.size()][];
        for (int s = 0; s < group.size(); s++) {
            send[s] = rows(gradient, s * rowsEach, rowsEach).castTo(DataType.FLOAT).data().asFloat();
        }
        return Nd4j.createFromArray(group.reduceScatterSum(send)).reshape(rowsEach, gradient.size(1))
                .castTo(gradient.dataType());
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
