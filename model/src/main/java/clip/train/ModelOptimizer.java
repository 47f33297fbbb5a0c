package clip.train;

import clip.model.Parameter;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * AdamW over named parameters with per-group learning rates and weight decay, in one
 * process. Frozen parameters are skipped and keep no state. The state is exposed by name
 * ({@code <param>.exp_avg}, {@code <param>.exp_avg_sq}) for checkpoints.
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
        return clip.model.StepMemory.outside(() -> Nd4j.zeros(a.dataType(), a.shape()));
    }

    public long stepCount() {
        return step;
    }

    /** The optimizer state as named tensors, for checkpoints. */
    public Map<String, INDArray> state() {
        Map<String, INDArray> out = new LinkedHashMap<>();
        expAvg.forEach((k, v) -> out.put(k + ".exp_avg", v));
        expAvgSq.forEach((k, v) -> out.put(k + ".exp_avg_sq", v));
        out.put("step", Nd4j.scalar(step));
        return out;
    }

    public void restore(Map<String, INDArray> state) {
        step = state.get("step").getLong(0);
        for (Map.Entry<String, INDArray> e : state.entrySet()) {
            String k = e.getKey();
            if (k.endsWith(".exp_avg")) {
                expAvg.put(k.substring(0, k.length() - 8), clip.model.StepMemory.outside(e.getValue()::dup));
            } else if (k.endsWith(".exp_avg_sq")) {
                expAvgSq.put(k.substring(0, k.length() - 11), clip.model.StepMemory.outside(e.getValue()::dup));
            }
        }
    }
}
