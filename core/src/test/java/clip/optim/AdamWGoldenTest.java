package clip.optim;

import clip.loss.ClipLoss;
import clip.loss.BatchGradient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.model.ContrastiveModel;
import clip.model.HfModels;
import clip.layers.Parameter;
import clip.testutil.Golden;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** torch.optim.AdamW parity: groups, the optimizer fed reference gradients, and end-to-end steps. */
class AdamWGoldenTest {
    private static final ParameterGroups GOLDEN_GROUPS = ParameterGroups.uniform(1e-3, 0.2);

    private static ModelOptimizer optimizer(Map<String, Parameter> params) {
        return new ModelOptimizer(params, GOLDEN_GROUPS, new AdamW(0.9, 0.98, 1e-6));
    }

    @ParameterizedTest
    @ValueSource(strings = {"clip", "dual"})
    void weightDecayGroupsMatchTheGoldens(String model) throws Exception {
        JsonNode groups = new ObjectMapper().readTree(Golden.path(model + "/train/adamw_param_groups.json").toFile());
        groups.path("per_key").fields().forEachRemaining(e -> assertEquals(
                e.getValue().path("weight_decay").asDouble(), GOLDEN_GROUPS.groupOf(e.getKey()).weightDecay(), e.getKey()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"clip", "dual"})
    void twoStepsFedReferenceGradients(String model) {
        Map<String, INDArray> weights = Golden.safetensors(model + "/model.safetensors");
        Map<String, Parameter> params = new LinkedHashMap<>();
        weights.forEach((k, v) -> {
            if (!k.endsWith("position_ids")) {
                params.put(k, new Parameter(v));
            }
        });
        ModelOptimizer opt = optimizer(params);
        String[] grads = {"grads.safetensors", "grads_step2.safetensors"};
        String[] after = {"after_adamw_step.safetensors", "after_adamw_step2.safetensors"};
        for (int s = 0; s < 2; s++) {
            Map<String, INDArray> g = Golden.safetensors(model + "/train/" + grads[s]);
            params.forEach((k, p) -> p.grad().assign(g.get(k)));
            opt.step(1.0);
            Map<String, INDArray> expected = Golden.safetensors(model + "/train/" + after[s]);
            for (Map.Entry<String, Parameter> e : params.entrySet()) {
                double diff = e.getValue().value().sub(expected.get(e.getKey())).amaxNumber().doubleValue();
                assertTrue(diff <= 1e-6, "step " + (s + 1) + " " + e.getKey() + ": max |diff| " + diff);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"clip", "dual"})
    void endToEndStepWithOwnGradients(String model) {
        ContrastiveModel m = HfModels.load(Golden.path(model), DataType.FLOAT).asContrastive();
        BatchGradient.accumulate(m, new ClipLoss(), Golden.npy(model + "/inputs/pixel_values.npy"),
                clip.testutil.GoldenInputs.text(model));
        Map<String, Parameter> params = m.namedParameters();
        Map<String, INDArray> grads = new LinkedHashMap<>();
        params.forEach((k, p) -> grads.put(k, p.grad().dup()));
        optimizer(params).step(1.0);
        Map<String, INDArray> expected = Golden.safetensors(model + "/train/after_adamw_step.safetensors");
        Map<String, INDArray> refGrads = Golden.safetensors(model + "/train/grads.safetensors");
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            double[] p = e.getValue().value().dup('c').data().asDouble();
            double[] x = expected.get(e.getKey()).castTo(DataType.DOUBLE).dup('c').data().asDouble();
            double[] g = refGrads.get(e.getKey()).castTo(DataType.DOUBLE).dup('c').data().asDouble();
            for (int i = 0; i < p.length; i++) {
                if (Math.abs(g[i]) >= 1e-4) {
                    assertTrue(Math.abs(p[i] - x[i]) <= 1e-5, e.getKey() + "[" + i + "]: " + p[i] + " vs " + x[i]);
                }
            }
        }
    }
}
