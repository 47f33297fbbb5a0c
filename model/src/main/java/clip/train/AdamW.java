package clip.train;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * torch.optim.AdamW's update, operation for operation (decay first, then the bias-corrected
 * Adam step with eps added after dividing sqrt(v) by sqrt(1 - beta2^t)), on any segment of
 * parameters: a whole tensor, or a parameter-server shard's slice of one.
 */
public final class AdamW {
    private final double beta1;
    private final double beta2;
    private final double eps;

    public AdamW(double beta1, double beta2, double eps) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
    }

    /**
     * @param step the 1-based step count of this segment's state
     */
    public void update(INDArray param, INDArray grad, INDArray expAvg, INDArray expAvgSq, double lr, double weightDecay,
                       long step) {
        if (weightDecay != 0) {
            param.muli(1 - lr * weightDecay);
        }
        expAvg.muli(beta1).addi(grad.mul(1 - beta1));
        expAvgSq.muli(beta2).addi(grad.mul(grad).muli(1 - beta2));
        double biasCorrection1 = 1 - Math.pow(beta1, step);
        double biasCorrection2Sqrt = Math.sqrt(1 - Math.pow(beta2, step));
        INDArray denom = Transforms.sqrt(expAvgSq, true).divi(biasCorrection2Sqrt).addi(eps);
        param.subi(expAvg.div(denom).muli(lr / biasCorrection1));
    }
}
