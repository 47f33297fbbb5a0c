package clip.optim;

import clip.layers.Parameter;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * AdamW over named parameters with per-group learning rates and weight decay, in one
 * process (the reference the sharded optimizer is tested against, and the benchmark's).
 * Frozen parameters are skipped and keep no state.
 */
public final class ModelOptimizer {
    private final Map<String, Parameter> params;
    private final ParameterGroups groups;
    private final AdamW adamW;
    private final Map<String, INDArray> expAvg = new LinkedHashMap<>();
    private final Map<String, INDArray> expAvgSq = new LinkedHashMap<>();
    private long step;

    public ModelOptimizer(Map<String, Parameter> params, ParameterGroups groups, AdamW adamW) {
        this.params = params;
        this.groups = groups;
        this.adamW = adamW;
    }

    /** One update; {@code lrFactor} is the schedule's multiplier on every group's base rate. */
    public void step(double lrFactor) {
        step++;
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            Parameter p = e.getValue();
            if (!p.trainable()) {
                continue;
            }
            ParameterGroups.Group g = groups.groupOf(e.getKey());
            INDArray m = expAvg.computeIfAbsent(e.getKey(), k -> zerosLike(p.value()));
            INDArray v = expAvgSq.computeIfAbsent(e.getKey(), k -> zerosLike(p.value()));
            adamW.update(p.value(), p.grad(), m, v, g.lr() * lrFactor, g.weightDecay(), step);
        }
    }

    private static INDArray zerosLike(INDArray a) {
        return clip.layers.StepMemory.outside(() -> Nd4j.zeros(a.dataType(), a.shape()));
    }
}
