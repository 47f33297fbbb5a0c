package clip.optim;

import clip.layers.Parameter;
import java.util.Collection;

/**
 * torch.nn.utils.clip_grad_norm_ in one process, from {@link GradientClipping}'s pieces: the
 * reference the sharded optimizer's clipping is tested against.
 */
public final class ClipGradNorm {
    private ClipGradNorm() {
    }

    /** Clips in place and returns the norm before clipping. */
    public static double clip(Collection<Parameter> params, double maxNorm) {
        double norm = Math.sqrt(GradientClipping.sumOfSquares(params));
        double scale = GradientClipping.scale(norm, maxNorm);
        if (scale != 1.0) {
            for (Parameter p : params) {
                if (p.trainable() && p.hasGrad()) {
                    p.grad().muli(scale);
                }
            }
        }
        return norm;
    }
}
