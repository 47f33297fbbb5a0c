package clip.loss;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * CLIP's symmetric cross-entropy: mean of CE(image -> text) and CE(text -> image) over the
 * logits exp(s) I T^T. Evaluated in double: the matrix is small and the log-sum-exp then has
 * no precision to lose. The temperature clamp (exp(s) <= 100) is applied to the parameter after
 * each optimizer step, as OpenCLIP does, not inside the loss.
 */
public final class ClipLoss implements ContrastiveLoss {
    public static final double MAX_LOGIT_SCALE = Math.log(100);

    @Override
    public LossResult compute(INDArray imageEmbeds, INDArray textEmbeds, double logitScale, double logitBias) {
        INDArray img = imageEmbeds.castTo(DataType.DOUBLE);
        INDArray txt = textEmbeds.castTo(DataType.DOUBLE);
        int n = (int) img.size(0);
        double scale = Math.exp(logitScale);
        INDArray logits = Nd4j.gemm(img, txt, false, true).muli(scale);
        INDArray rowSoftmax = softmaxRows(logits);
        INDArray colSoftmax = softmaxRows(logits.transpose().dup('c')).transpose();
        double loss = 0;
        for (int i = 0; i < n; i++) {
            loss -= Math.log(rowSoftmax.getDouble(i, i)) + Math.log(colSoftmax.getDouble(i, i));
        }
        loss /= 2.0 * n;
        INDArray eye = Nd4j.eye(n).castTo(DataType.DOUBLE);
        INDArray g = rowSoftmax.sub(eye).addi(colSoftmax.sub(eye)).divi(2.0 * n);
        INDArray dImage = Nd4j.gemm(g, txt, false, false).muli(scale);
        INDArray dText = Nd4j.gemm(g, img, true, false).muli(scale);
        double dScale = g.mul(logits).sumNumber().doubleValue();
        return new LossResult(loss, dImage.castTo(imageEmbeds.dataType()), dText.castTo(textEmbeds.dataType()),
                dScale, 0, logits);
    }

    @Override
    public boolean usesBias() {
        return false;
    }

    /** Numerically stable: exp(x - max) per row. */
    static INDArray softmaxRows(INDArray x) {
        INDArray shifted = x.subColumnVector(x.max(1).reshape(-1, 1));
        INDArray e = Transforms.exp(shifted, false);
        return e.diviColumnVector(e.sum(1).reshape(-1, 1));
    }
}
