package clip.train;

import java.util.function.DoubleSupplier;

/**
 * What one training step did, as the log and the hooks see it.
 *
 * @param step          the steps done after it (1 for the first)
 * @param lrFactor      the schedule's factor on every group's base learning rate
 * @param gatherSeconds time in the exchange that gathers embeddings, waiting for peers included
 * @param serverSeconds time in the parameter server's exchange, the next two included
 * @param bucketWaitSeconds of it, time the step waited after the backward pass for gradient buckets still under way
 * @param parameterWaitSeconds of it, time the forward pass waited for the last step's overlapped gather of parameters
 * @param logitScaleAfter reads the logit scale after the step (which may wait for the parameters' gather)
 * @param applied       false for a skipped step (see {@link TrainStep}): nothing changed
 */
record StepResult(long step, double loss, double gradNorm, double lrFactor, double gatherSeconds, double serverSeconds,
                  double bucketWaitSeconds, double parameterWaitSeconds, DoubleSupplier logitScaleAfter, boolean applied) {
    double logitScale() {
        return logitScaleAfter.getAsDouble();
    }
}
