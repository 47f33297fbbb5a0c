package clip.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import clip.layers.ActivationKind;
import clip.testutil.Golden;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * A model's activation kinds, which decide the kernels compiled before its first pass: each
 * comes from the layer that applies it, so a kind the config names is found and no other.
 */
class ActivationKindsTest {
    @Test
    void openAiLayoutAppliesQuickGeluOnly() {
        assertEquals(Set.of(ActivationKind.QUICK_GELU), ContrastiveModelGoldenTest.load("clip", null).activationKinds());
    }

    @Test
    void vitAndBertApplyExactGelu() {
        assertEquals(Set.of(ActivationKind.GELU), ContrastiveModelGoldenTest.load("dual", null).activationKinds());
    }

    @Test
    void resNetAppliesReluOnly() {
        assertEquals(Set.of(ActivationKind.RELU),
                HfModels.load(Golden.path("resnet"), DataType.FLOAT).module().activationKinds());
    }
}
