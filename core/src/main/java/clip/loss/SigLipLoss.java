package clip.loss;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * SigLIP's pairwise sigmoid loss (open_clip SigLipLoss): logits = exp(t) I T^T + b, labels +1
 * on the diagonal and -1 elsewhere, loss = -sum(log sigmoid(labels * logits)) / N. Both t and b
 * are learned.
 */
public final class SigLipLoss implements ContrastiveLoss {
    @Override
    public LossResult compute(INDArray imageEmbeds, INDArray textEmbeds, double logitScale, double logitBias) {
        INDArray img = imageEmbeds.castTo(DataType.DOUBLE);
        INDArray txt = textEmbeds.castTo(DataType.DOUBLE);
        int n = (int) img.size(0);
        double scale = Math.exp(logitScale);
        INDArray similarity = Nd4j.gemm(img, txt, false, true);
        double[] s = similarity.dup('c').data().asDouble();
        double[] g = new double[s.length];
        double loss = 0;
        double dScale = 0;
        double dBias = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                int k = i * n + j;
                double z = i == j ? 1 : -1;
                double m = z * (scale * s[k] + logitBias);
                loss += softplus(-m);
                // d softplus(-m)/d logit = -z * sigmoid(-m)
                g[k] = -z * sigmoid(-m) / n;
                dScale += g[k] * scale * s[k];
                dBias += g[k];
            }
        }
        INDArray grad = Nd4j.createFromArray(g).reshape(n, n);
        INDArray dImage = Nd4j.gemm(grad, txt, false, false).muli(scale);
        INDArray dText = Nd4j.gemm(grad, img, true, false).muli(scale);
        INDArray logits = similarity.muli(scale).addi(logitBias);
        return new LossResult(loss / n, dImage.castTo(imageEmbeds.dataType()), dText.castTo(textEmbeds.dataType()),
                dScale, dBias, logits);
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
