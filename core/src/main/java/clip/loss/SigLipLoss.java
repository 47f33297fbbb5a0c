package clip.loss;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * SigLIP's pairwise sigmoid loss (open_clip SigLipLoss): logits = exp(t) I T^T + b, labels +1
 * on the diagonal and -1 elsewhere, loss = -sum(log sigmoid(labels * logits)) / N. Both t and b
 * are learned. A worker's share is the terms of its images against every text, as open_clip's
 * SigLipLoss sums them across ranks (each pair counted once).
 */
public final class SigLipLoss implements ContrastiveLoss {
    /** The terms of this worker's images against all N gathered texts, divided by N. */
    @Override
    public LossResult computeShare(INDArray images, INDArray texts, INDArray allImages, INDArray allTexts, long firstRow,
                                   double logitScale, double logitBias) {
        INDArray img = images.castTo(DataType.DOUBLE);
        INDArray txt = allTexts.castTo(DataType.DOUBLE);
        int b = (int) img.size(0);
        int n = (int) txt.size(0);
        double scale = Math.exp(logitScale);
        INDArray similarity = Nd4j.gemm(img, txt, false, true);
        double[] s = similarity.dup('c').data().asDouble();
        double[] g = new double[s.length];
        double loss = 0;
        double dScale = 0;
        double dBias = 0;
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < n; j++) {
                int k = i * n + j;
                double z = firstRow + i == j ? 1 : -1;
                double m = z * (scale * s[k] + logitBias);
                loss += softplus(-m);
                // d softplus(-m)/d logit = -z * sigmoid(-m)
                g[k] = -z * sigmoid(-m) / n;
                dScale += g[k] * scale * s[k];
                dBias += g[k];
            }
        }
        INDArray grad = Nd4j.createFromArray(g).reshape(b, n);
        INDArray dImage = Nd4j.gemm(grad, txt, false, false).muli(scale);
        INDArray dAllTexts = Nd4j.gemm(grad, img, true, false).muli(scale);
        INDArray logits = similarity.muli(scale).addi(logitBias);
        return new LossResult(loss / n, dImage.castTo(images.dataType()), dAllTexts.castTo(allTexts.dataType()),
                dScale, dBias, logits);
    }

    @Override
    public boolean shareReadsAllImages() {
        return false;
    }

    @Override
    public boolean usesBias() {
        return true;
    }

    private static double softplus(double x) {
        return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
    }

    private static double sigmoid(double x) {
        return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }
}
