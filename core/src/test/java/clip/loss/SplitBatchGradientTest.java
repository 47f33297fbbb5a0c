package clip.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.layers.Parameter;
import clip.layers.StepMemory;
import clip.model.ContrastiveModel;
import clip.testutil.TinyDualEncoder;
import clip.model.TextBatch;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The batch cut into parts run side by side gives the whole-batch gradient (up to the order of
 * float sums), the same bits on every run, and leaves the twins' gradients at zero.
 */
class SplitBatchGradientTest {
    private static final int BATCH = 8;
    private static final int SEQ = 6;

    private static ContrastiveModel model(long seed, boolean siglip) {
        return TinyDualEncoder.model(seed, siglip ? -10.0 : null);
    }

    private static Pairs pairs() {
        return Pairs.of(pairsPixels(), pairsText());
    }

    private static Map<String, float[]> gradients(ContrastiveModel m) {
        Map<String, float[]> out = new LinkedHashMap<>();
        m.namedParameters().forEach((name, p) -> out.put(name, p.grad().dup().data().asFloat()));
        return out;
    }

    private static Map<String, float[]> split(int parts, boolean siglip, ContrastiveLoss loss) {
        ContrastiveModel m = model(11, siglip);
        List<ContrastiveModel> twins = new ArrayList<>();
        for (int p = 1; p < parts; p++) {
            twins.add(model(99 + p, siglip)); // other weights: the twin must read the model's
        }
        try (SplitBatchGradient step = new SplitBatchGradient(m, twins)) {
            for (int i = 0; i < 2; i++) { // the second step must start from zeroed twin gradients
                m.zeroGrad();
                try (var ws = StepMemory.open()) {
                    step.accumulate(loss, pairs());
                }
            }
            for (ContrastiveModel twin : twins) {
                for (Parameter p : twin.parameters()) {
                    assertTrue(!p.hasGrad() || p.grad().amaxNumber().doubleValue() == 0, "twin gradient left behind");
                }
                twin.namedParameters().forEach((name, p) -> assertTrue(!name.contains("word_embeddings") || !p.hasGrad(),
                        name + ": a twin keeps its lookup table's gradient by row, not as a dense table"));
            }
        }
        return gradients(m);
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4})
    void partsGiveTheWholeBatchGradient(int parts) {
        for (boolean siglip : new boolean[] {false, true}) {
            ContrastiveLoss loss = siglip ? new SigLipLoss() : new ClipLoss();
            ContrastiveModel whole = model(11, siglip);
            try (var ws = StepMemory.open()) {
                BatchGradient.accumulate(whole, loss, pairsPixels(), pairsText());
            }
            Map<String, float[]> expected = gradients(whole);
            Map<String, float[]> actual = split(parts, siglip, loss);
            assertEquals(expected.keySet(), actual.keySet());
            double largest = 0;
            for (float[] e : expected.values()) {
                for (float x : e) {
                    largest = Math.max(largest, Math.abs(x));
                }
            }
            // The key bias gradient is zero in exact arithmetic, rounding noise alone: a floor at 1% of the largest.
            double floor = 1e-2 * largest;
            expected.forEach((name, e) -> {
                float[] a = actual.get(name);
                double scale = floor;
                for (float x : e) {
                    scale = Math.max(scale, Math.abs(x));
                }
                for (int i = 0; i < e.length; i++) {
                    assertEquals(e[i], a[i], 2e-5 * scale, name + "[" + i + "]");
                }
            });
            Map<String, float[]> again = split(parts, siglip, loss);
            actual.forEach((name, a) -> assertArrayEquals(a, again.get(name), name + ": not the same bits twice"));
        }
    }

    @Test
    void refusesABatchThatDoesNotCutEvenly() {
        ContrastiveModel m = model(11, false);
        try (SplitBatchGradient step = new SplitBatchGradient(m, List.of(model(12, false), model(13, false)));
             var ws = StepMemory.open()) {
            assertThrows(IllegalArgumentException.class, () -> step.accumulate(new ClipLoss(), pairs()));
        }
    }

    private static INDArray pairsPixels() {
        return TinyDualEncoder.pixels(100, BATCH);
    }

    private static TextBatch pairsText() {
        return TinyDualEncoder.text(200, BATCH, SEQ);
    }
}
