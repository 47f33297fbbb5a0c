package clip.loss;

import clip.optim.ClipGradNorm;
import clip.optim.LrSchedule;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.layers.Init;
import clip.testutil.Golden;
import clip.testutil.GradCheck;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Iterator;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** open_clip's loss values (shared/golden/losses) and the losses' gradients by central differences. */
class LossTest {
    @Test
    void matchesOpenClipLosses() throws Exception {
        JsonNode cases = new ObjectMapper().readTree(Golden.path("losses/losses.json").toFile()).path("cases");
        INDArray img = Golden.npy("losses/image_features.npy");
        INDArray txt = Golden.npy("losses/text_features.npy");
        int checked = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = cases.fields(); it.hasNext(); checked++) {
            Map.Entry<String, JsonNode> c = it.next();
            JsonNode v = c.getValue();
            ContrastiveLoss loss = v.path("kind").asText().equals("siglip") ? new SigLipLoss() : new ClipLoss();
            double bias = v.path("logit_bias").isNull() ? 0 : v.path("logit_bias").asDouble();
            double value = loss.compute(img, txt, v.path("logit_scale_param").asDouble(), bias).loss();
            assertEquals(v.path("loss_f64").asDouble(), value, 1e-5, c.getKey());
        }
        assertEquals(4, checked);
    }

    @Test
    void gradientsMatchCentralDifferences() {
        for (ContrastiveLoss loss : new ContrastiveLoss[] {new ClipLoss(), new SigLipLoss()}) {
            Init init = new Init(3, DataType.DOUBLE, 1.0);
            INDArray img = init.normal(5, 4).value();
            INDArray txt = init.normal(5, 4).value();
            double[] scaleBias = {1.3, -2.0};
            LossResult r = loss.compute(img, txt, scaleBias[0], scaleBias[1]);
            assertTrue(GradCheck.relativeError(r.dImageEmbeds(),
                    GradCheck.numericGradient(() -> loss.compute(img, txt, scaleBias[0], scaleBias[1]).loss(), img, 1e-6)) < 1e-7);
            assertTrue(GradCheck.relativeError(r.dTextEmbeds(),
                    GradCheck.numericGradient(() -> loss.compute(img, txt, scaleBias[0], scaleBias[1]).loss(), txt, 1e-6)) < 1e-7);
            double h = 1e-6;
            double dScale = (loss.compute(img, txt, scaleBias[0] + h, scaleBias[1]).loss()
                    - loss.compute(img, txt, scaleBias[0] - h, scaleBias[1]).loss()) / (2 * h);
            assertEquals(dScale, r.dLogitScale(), 1e-7);
            if (loss.usesBias()) {
                double dBias = (loss.compute(img, txt, scaleBias[0], scaleBias[1] + h).loss()
                        - loss.compute(img, txt, scaleBias[0], scaleBias[1] - h).loss()) / (2 * h);
                assertEquals(dBias, r.dLogitBias(), 1e-7);
            }
        }
    }

    /**
     * Three workers' shares (OpenCLIP's local loss) add up to the global loss, and their gradients,
     * each gathered row's summed onto its owner, to the global gradient: in double precision, to
     * rounding.
     */
    @Test
    void workersSharesSumToTheGlobalLossAndGradient() {
        int workers = 3;
        int b = 2;
        for (ContrastiveLoss loss : new ContrastiveLoss[] {new ClipLoss(), new SigLipLoss()}) {
            Init init = new Init(5, DataType.DOUBLE, 1.0);
            INDArray img = init.normal(workers * b, 4).value();
            INDArray txt = init.normal(workers * b, 4).value();
            LossResult global = loss.compute(img, txt, 1.3, -2.0);
            double sum = 0;
            double dScale = 0;
            double dBias = 0;
            INDArray dImages = img.like();
            INDArray dTexts = txt.like();
            for (int r = 0; r < workers; r++) {
                INDArrayIndex mine = NDArrayIndex.interval(r * b, (r + 1) * b);
                INDArray myImages = img.get(mine, NDArrayIndex.all()).dup();
                LossResult share = loss.computeShare(myImages, txt.get(mine, NDArrayIndex.all()).dup(),
                        loss.shareReadsAllImages() ? img : null, txt, (long) r * b, 1.3, -2.0);
                assertArrayEquals(new long[] {b, workers * b}, share.logitsPerImage().shape());
                sum += share.loss();
                dScale += share.dLogitScale();
                dBias += share.dLogitBias();
                if (loss.shareReadsAllImages()) {
                    dImages.addi(share.dImageEmbeds());
                } else {
                    dImages.get(mine, NDArrayIndex.all()).addi(share.dImageEmbeds());
                }
                dTexts.addi(share.dTextEmbeds());
            }
            assertEquals(global.loss(), sum, 1e-12);
            assertEquals(global.dLogitScale(), dScale, 1e-12);
            assertEquals(global.dLogitBias(), dBias, 1e-12);
            assertEquals(0, dImages.sub(global.dImageEmbeds()).amaxNumber().doubleValue(), 1e-12);
            assertEquals(0, dTexts.sub(global.dTextEmbeds()).amaxNumber().doubleValue(), 1e-12);
        }
    }

    @Test
    void schedulesFollowTorchFormulas() {
        LrSchedule restarts = LrSchedule.cosineWarmRestarts(4, 2, 0.0, 0);
        // torch: eta = eta_min + (base - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2; periods 4, 8, 16...
        assertEquals(1.0, restarts.factor(0), 1e-12);
        assertEquals(0.5 * (1 + Math.cos(Math.PI * 3 / 4)), restarts.factor(3), 1e-12);
        assertEquals(1.0, restarts.factor(4), 1e-12, "restart after T_0");
        assertEquals(0.5 * (1 + Math.cos(Math.PI * 5 / 8)), restarts.factor(9), 1e-12);
        assertEquals(1.0, restarts.factor(12), 1e-12, "second restart after T_0 * T_mult more steps");
        LrSchedule cosine = LrSchedule.warmupCosine(10, 110, 0.0);
        assertEquals(0.1, cosine.factor(0), 1e-12);
        assertEquals(1.0, cosine.factor(9), 1e-12);
        assertEquals(0.5, cosine.factor(60), 1e-12);
        assertEquals(0.0, cosine.factor(110), 1e-12);
    }

    @Test
    void clippingScalesToTheMaxNormLikeTorch() {
        clip.layers.Parameter a = new clip.layers.Parameter(org.nd4j.linalg.factory.Nd4j.zeros(DataType.DOUBLE, 2));
        clip.layers.Parameter b = new clip.layers.Parameter(org.nd4j.linalg.factory.Nd4j.zeros(DataType.DOUBLE, 1));
        a.grad().assign(org.nd4j.linalg.factory.Nd4j.createFromArray(3.0, 0.0));
        b.grad().assign(4.0);
        double norm = ClipGradNorm.clip(java.util.List.of(a, b), 1.0);
        assertEquals(5.0, norm, 1e-12);
        assertEquals(3.0 / (5 + 1e-6), a.grad().getDouble(0), 1e-12);
        assertEquals(4.0 / (5 + 1e-6), b.grad().getDouble(0), 1e-12);
    }
}
