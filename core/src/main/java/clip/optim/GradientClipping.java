package clip.optim;

import clip.layers.Parameter;
import java.util.Collection;

/**
 * Clipping by global L2 norm, as torch.nn.utils.clip_grad_norm_: scale = max_norm / (norm + 1e-6)
 * when the norm exceeds max_norm. The norm comes from sums of squares, so a sharded optimizer
 * can add its shards' sums before taking the root.
 */
public final class GradientClipping {
    private GradientClipping() {
    }

    public static double sumOfSquares(Collection<Parameter> params) {
        double s = 0;
        for (Parameter p : params) {
            if (p.trainable() && p.hasGrad()) {
                double n = p.grad().norm2Number().doubleValue();
                s += n * n;
            }
        }
        return s;
    }

    /** The factor to multiply gradients by (1 when within bounds or clipping is off). */
    public static double scale(double totalNorm, double maxNorm) {
        if (maxNorm <= 0 || totalNorm <= maxNorm) {
            return 1.0;
        }
        return maxNorm / (totalNorm + 1e-6);
    }
}
