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
        boolean readsAllImages = loss.shareReadsAllImages();
        INDArray[] all = readsAllImages ? gather(group, images, texts) : gather(group, texts);
        INDArray allImages = readsAllImages ? all[0] : null;
        LossResult share = loss.computeShare(images, texts, allImages, all[all.length - 1], group.rank() * images.size(0),
                scale, bias);
        INDArray[] summed = readsAllImages ? sumOntoOwners(group, share.dImageEmbeds(), share.dTextEmbeds())
                : sumOntoOwners(group, share.dTextEmbeds());
        INDArray dImages = readsAllImages ? summed[0] : share.dImageEmbeds();
        INDArray dTexts = summed[summed.length - 1];
        // the shares add up to the global loss; every worker needs it (a non-finite one skips the step everywhere)
        double globalLoss = group.allReduceSum(new double[] {share.loss()})[0];
        return new OwnGradient(globalLoss, dImages, dTexts, share.dLogitScale(), share.dLogitBias());
    }

    private static OwnGradient globalLoss(ContrastiveLoss loss, INDArray images, INDArray texts, Collective group,
                                          double scale, double bias) {
        INDArray[] all = gather(group, images, texts);
        LossResult r = loss.compute(all[0], all[1], scale, bias);
        long local = images.size(0);
        long from = group.rank() * local;
        boolean lead = group.rank() == 0;
        return new OwnGradient(r.loss(), rows(r.dImageEmbeds(), from, local), rows(r.dTextEmbeds(), from, local),
                lead ? r.dLogitScale() : 0, lead ? r.dLogitBias() : 0);
    }

    /**
     * Each of the [b, D] local arrays -> [N*b, D], in rank order. One exchange for all of them: every
     * exchange is a meeting point where a worker waits for the slowest peer, and a round trip.
     */
    private static INDArray[] gather(Collective group, INDArray... local) {
        float[][] parts = group.allGather(concatenated(local, 0, local[0].size(0)));
        for (float[] part : parts) {
            if (part.length != parts[0].length) {
                throw new IllegalStateException("workers disagree on the local batch size");
            }
        }
        INDArray[] out = new INDArray[local.length];
        int at = 0;
        for (int a = 0; a < local.length; a++) {
            int each = Math.toIntExact(local[a].length());
            float[] all = new float[parts.length * each];
            for (int r = 0; r < parts.length; r++) {
                System.arraycopy(parts[r], at, all, r * each, each);
            }
            at += each;
            out[a] = Nd4j.createFromArray(all).reshape(all.length / local[a].size(1), local[a].size(1)).castTo(local[a].dataType());
        }
        return out;
    }

    /**
     * Each [N*b, D] gradient of this worker's share with respect to every worker's rows -> [b, D],
     * the sum of all workers' gradients for this worker's rows (a reduce-scatter), all of them in
     * one exchange. The sums are element-wise, so putting the arrays side by side changes no bit.
     */
    private static INDArray[] sumOntoOwners(Collective group, INDArray... gradients) {
        long rowsEach = gradients[0].size(0) / group.size();
        float[][] send = new float[group.size()][];
        for (int s = 0; s < group.size(); s++) {
            send[s] = concatenated(gradients, s * rowsEach, rowsEach);
        }
        float[] summed = group.reduceScatterSum(send);
        INDArray[] out = new INDArray[gradients.length];
        int at = 0;
        for (int a = 0; a < gradients.length; a++) {
            long cols = gradients[a].size(1);
            int each = Math.toIntExact(rowsEach * cols);
            out[a] = Nd4j.createFromArray(java.util.Arrays.copyOfRange(summed, at, at + each)).reshape(rowsEach, cols)
                    .castTo(gradients[a].dataType());
            at += each;
        }
        return out;
    }

    /** Rows [from, from + count) of each array as floats, one array after another. */
    private static float[] concatenated(INDArray[] arrays, long from, long count) {
        float[][] pieces = new float[arrays.length][];
        int length = 0;
        for (int a = 0; a < arrays.length; a++) {
            pieces[a] = rows(arrays[a], from, count).castTo(DataType.FLOAT).data().asFloat();
            length += pieces[a].length;
        }
        float[] out = new float[length];
        int at = 0;
        for (float[] piece : pieces) {
            System.arraycopy(piece, 0, out, at, piece.length);
            at += piece.length;
        }
        return out;
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
