package clip.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * In a step's workspace a transformer layer keeps its activation's slope instead of fc1's output
 * (which lives in scratch memory), and LayerNorm recomputes its normalised rows; in a
 * forward-only workspace it keeps nothing for a backward pass. The outputs and gradients must be
 * the same bits as outside a workspace, where every layer keeps its input.
 */
class StepWorkspaceLayerTest {
    @Test
    void aLayerGivesTheSameBitsInAStepWorkspaceAsOutside() {
        INDArray keyMask = Nd4j.createFromArray(new float[][] {{1, 1, 1, 1, 1}, {1, 1, 1, 0, 0}});
        AttentionMask mask = AttentionMask.of(keyMask, false, 2, 5, DataType.FLOAT);
        INDArray x = new Init(3, DataType.FLOAT, 1.0).normal(2, 5, 48).value();
        INDArray dy = new Init(4, DataType.FLOAT, 1.0).normal(2, 5, 48).value();
        for (LayerNames names : new LayerNames[] {LayerNames.BERT, LayerNames.VIT}) {
            boolean pre = names != LayerNames.BERT;
            Map<String, float[]> outside = gradients(names, pre, x, dy, mask, false);
            Map<String, float[]> inStep = gradients(names, pre, x, dy, mask, true);
            assertTrue(inStep.containsKey("dx") && inStep.size() > 10, inStep.keySet().toString());
            inStep.forEach((name, g) -> assertArrayEquals(outside.get(name), g, names + " " + name));
        }
    }

    @Test
    void aForwardOnlyPassGivesTheSameOutputAndRefusesABackwardPass() {
        INDArray x = new Init(3, DataType.FLOAT, 1.0).normal(2, 5, 48).value();
        TransformerLayer layer = new TransformerLayer(48, 3, 192, true, true, ActivationKind.GELU, 1e-6, LayerNames.VIT,
                new Init(7, DataType.FLOAT, 0.5));
        float[] outside = layer.forward(x.dup(), null).data().asFloat();
        try (var ws = StepMemory.openForwardOnly()) {
            assertArrayEquals(outside, layer.forward(x.dup(), null).dup().data().asFloat());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> layer.backward(x.dup()));
            assertTrue(e.getMessage().contains("forward-only"), e.getMessage());
        }
    }

    /** dL/dx and every parameter's gradient after one forward and backward pass, from fixed weights. */
    private static Map<String, float[]> gradients(LayerNames names, boolean pre, INDArray x, INDArray dy,
                                                  AttentionMask mask, boolean inWorkspace) {
        TransformerLayer layer = new TransformerLayer(48, 3, 192, pre, true, ActivationKind.GELU, 1e-12, names,
                new Init(7, DataType.FLOAT, 0.5));
        Map<String, float[]> out = new LinkedHashMap<>();
        if (inWorkspace) {
            try (var ws = StepMemory.open()) {
                INDArray y = layer.forward(x.dup(), mask);
                assertTrue(y.isAttached(), "the step's activations live in its workspace");
                out.put("dx", layer.backward(dy.dup()).dup().data().asFloat());
            }
        } else {
            layer.forward(x.dup(), mask);
            out.put("dx", layer.backward(dy.dup()).data().asFloat());
        }
        layer.namedParameters().forEach((name, p) -> out.put(name, p.grad().dup().data().asFloat()));
        return out;
    }
}
