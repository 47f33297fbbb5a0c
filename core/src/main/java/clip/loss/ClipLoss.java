package clip.loss;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * CLIP's symmetric cross-entropy: mean of CE(image -> text) and CE(text -> image) over the
 * logits exp(s) I T^T (a worker's share: OpenCLIP's ClipLoss with local_loss and
 * gather_with_grad). Evaluated in double: the matrices are small and the log-sum-exp then has no
 * precision to lose. The temperature clamp (exp(s) <= 100) is applied to the parameter after
 * each optimizer step, as OpenCLIP does, not inside the loss.
 */
public final class ClipLoss implements ContrastiveLoss {
    public static final double MAX_LOGIT_SCALE = Math.log(100);

    /**
     * The image-to-text cross-entropy of this worker's images (rows of the global logits) and the
     * text-to-image one of its texts (columns), each over all N gathered rows and divided by 2N.
     */
    @Override
    public LossResult computeShare(INDArray images, INDArray texts, INDArray allImages, INDArray allTexts, long firstRow,
                                   double logitScale, double logitBias) {
        INDArray img = images.castTo(DataType.DOUBLE);
        INDArray txt = texts.castTo(DataType.DOUBLE);
        INDArray allImg = allImages.castTo(DataType.DOUBLE);
        INDArray allTxt = allTexts.castTo(DataType.DOUBLE);
        int b = (int) img.size(0);
        long n = allTxt.size(0);
        double scale = Math.exp(logitScale);
        INDArray perImage = Nd4j.gemm(img, allTxt, false, true).muli(scale);
        INDArray perText = Nd4j.gemm(txt, allImg, false, true).muli(scale);
        // gradients of the share with respect to the logits: (softmax - one-hot) / 2N
        INDArray gImage = softmaxRows(perImage);
        INDArray gText = softmaxRows(perText);
        double loss = 0;
        for (int i = 0; i < b; i++) {
            long positive = firstRow + i;
            loss -= Math.log(gImage.getDouble(i, positive)) + Math.log(gText.getDouble(i, positive));
            gImage.putScalar(i, positive, gImage.getDouble(i, positive) - 1);
            gText.putScalar(i, positive, gText.getDouble(i, positive) - 1);
        }
        gImage.divi(2.0 * n);
        gText.divi(2.0 * n);
        INDArray dAllImages = Nd4j.gemm(gText, txt, true, false).muli(scale);
        INDArray dAllTexts = Nd4j.gemm(gImage, img, true, false).muli(scale);
        INDArrayIndex mine = NDArrayIndex.interval(firstRow, firstRow + b);
        dAllImages.get(mine, NDArrayIndex.all()).addi(Nd4j.gemm(gImage, allTxt, false, false).muli(scale));
        dAllTexts.get(mine, NDArrayIndex.all()).addi(Nd4j.gemm(gText, allImg, false, false).muli(scale));
        double dScale = gImage.mul(perImage).sumNumber().doubleValue() + gText.mul(perText).sumNumber().doubleValue();
        return new LossResult(loss / (2.0 * n), dAllImages.castTo(images.dataType()), dAllTexts.castTo(texts.dataType()),
                dScale, 0, perImage);
    }

    @Override
    public boolean shareReadsAllImages() {
        return true;
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
