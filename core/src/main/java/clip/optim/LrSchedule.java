package clip.optim;

/**
 * A learning-rate multiplier as a pure function of the optimizer step (0-based), so a resumed
 * run continues on exactly the same curve.
 */
public interface LrSchedule {
    double factor(long step);

    /** Linear warmup to 1, then cosine decay to {@code floor} at {@code totalSteps} (OpenCLIP's cosine_lr). */
    static LrSchedule warmupCosine(long warmupSteps, long totalSteps, double floor) {
        return step -> {
            if (step < warmupSteps) {
                return (step + 1) / (double) warmupSteps;
            }
            long decaySteps = Math.max(1, totalSteps - warmupSteps);
            double progress = Math.min(1.0, (step - warmupSteps) / (double) decaySteps);
            return floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * progress));
        };
    }

    /**
     * torch's CosineAnnealingWarmRestarts(T_0, T_mult, eta_min), stepped once per batch, with
     * {@code minFactor} = eta_min / base_lr; an optional linear warmup precedes it.
     */
    static LrSchedule cosineWarmRestarts(long t0, int tMult, double minFactor, long warmupSteps) {
        if (t0 < 1 || tMult < 1) {
            throw new IllegalArgumentException("T_0 must be >= 1 and T_mult >= 1");
        }
        return step -> {
            if (step < warmupSteps) {
                return (step + 1) / (double) warmupSteps;
            }
            long t = step - warmupSteps;
            long period = t0;
            while (t >= period) {
                t -= period;
                period *= tMult;
            }
            return minFactor + (1 - minFactor) * 0.5 * (1 + Math.cos(Math.PI * t / period));
        };
    }

    static LrSchedule constant() {
        return step -> 1.0;
    }
}
