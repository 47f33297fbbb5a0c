package clip.optim;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Which parameters get weight decay, by HF/torchvision name. */
class ParameterGroupsTest {
    @Test
    void batchNormParametersOfAResNetTowerAreNotDecayedItsConvolutionsAre() {
        assertFalse(ParameterGroups.decays("vision_model.bn1.weight"));
        assertFalse(ParameterGroups.decays("vision_model.layer2.0.bn3.weight"));
        assertFalse(ParameterGroups.decays("vision_model.layer2.0.downsample.1.weight"));
        assertTrue(ParameterGroups.decays("vision_model.layer2.0.downsample.0.weight"));
        assertTrue(ParameterGroups.decays("vision_model.layer1.0.conv2.weight"));
        assertFalse(ParameterGroups.decays("text_model.transformer.layer.0.sa_layer_norm.weight"));
        assertTrue(ParameterGroups.decays("text_model.transformer.layer.0.ffn.lin1.weight"));
    }
}
