package clip.train;

import clip.io.BadInputException;
import clip.loss.ClipLoss;

/**
 * Why a diverged run stops, in one line: what was observed, what it points to, and the last
 * good checkpoint to resume from. The advice follows the observation (exploded parameters point
 * to the learning rates, finite parameters with an infinite logit scale to its initial value),
 * and never suggests a setting that is already on.
 */
final class Divergence {
    private final TrainConfig config;

    Divergence(TrainConfig config) {
        this.config = config;
    }

    /** Parameters not finite, or exploded against the last good ones, at a checkpoint: it is not written. */
    BadInputException exploded(long step, double norm, double goodNorm, long goodStep, String lastGood) {
        return new BadInputException(String.format("step %d: the parameters diverged (norm %.3g, %.3g at step %d), so their"
                + " checkpoint was not written; %s; %s", step, norm, goodNorm, goodStep, lastGood, learningRateAdvice()));
    }

    /** Non-finite loss or gradient for {@code inARow} steps ending at {@code step}. */
    BadInputException nonFinite(int inARow, long step, double loss, double gradNorm, double paramNorm, boolean exploded,
                                double goodNorm, double logitScale, String lastGood) {
        String observed = String.format("%d non-finite steps in a row at step %d (loss %s, gradient norm %s, parameter norm %.3g"
                + " against %.3g at the last good step, logit scale %.4g)", inARow, step, loss, gradNorm, paramNorm, goodNorm, logitScale);
        String cause;
        if (exploded) {
            cause = "the parameters diverged: " + learningRateAdvice();
        } else if (logitScale > ClipLoss.MAX_LOGIT_SCALE) {
            cause = String.format("the parameters are finite but exp(logit scale) = %.3g overflows the logits: lower"
                    + " clip.model.logit-scale-init (now %s; OpenCLIP starts at ln(1/0.07) = 2.66 and caps it at ln 100)",
                    Math.exp(logitScale), config.model().logitScaleInit());
        } else {
            cause = "the parameters are finite and the learning rates are not the cause: check the training data";
        }
        return new BadInputException(observed + ": " + cause + "; " + lastGood);
    }

    private String learningRateAdvice() {
        String rates = String.format("lower the learning rates (clip.optim.lr-image %s, lr-text %s, lr-logit %s)",
                config.optim().lrImage(), config.optim().lrText(), config.optim().lrLogit());
        return config.train().gradClip() > 0 ? rates + "; gradients are already clipped at norm " + config.train().gradClip()
                : rates + " or set clip.train.grad-clip";
    }
}
