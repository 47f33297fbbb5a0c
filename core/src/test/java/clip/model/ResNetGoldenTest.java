package clip.model;

import static clip.testutil.Close.assertClose;
import static clip.testutil.Close.assertGradClose;
import static org.junit.jupiter.api.Assertions.assertEquals;

import clip.layers.Parameter;
import clip.testutil.Golden;
import clip.testutil.GoldenInputs;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * torchvision ResNet goldens (BasicBlock and Bottleneck): every stage in eval mode; in train mode
 * the pooled output, the loss, every parameter's gradient and the running statistics after the pass.
 */
class ResNetGoldenTest {
    private static final double ATOL = 1e-5;
    private static final double RTOL = 1e-4;
    private static final String[] STAGES = {"stem", "layer1", "layer2", "layer3", "layer4"};

    private static ResNetModel load(String model) {
        HfModel m = HfModels.load(Golden.path(model), DataType.FLOAT);
        assertEquals("resnet", m.modelType());
        return (ResNetModel) m.module();
    }

    @ParameterizedTest
    @ValueSource(strings = {"resnet", "resnet_bottleneck"})
    void evalModeEveryStage(String model) {
        TowerOutput out = load(model).forward(GoldenInputs.pixels(model));
        for (int i = 0; i < STAGES.length; i++) {
            assertClose(Golden.npy(model + "/outputs/" + STAGES[i] + ".npy"), out.hiddenStates().get(i), ATOL, RTOL,
                    model + " " + STAGES[i]);
        }
        assertClose(Golden.npy(model + "/outputs/pooled.npy"), out.pooled(), ATOL, RTOL, model + " pooled");
    }

    @ParameterizedTest
    @ValueSource(strings = {"resnet", "resnet_bottleneck"})
    void float64EqualsTheFloat64Reference(String model) {
        ResNetModel resnet = (ResNetModel) HfModels.load(Golden.path(model), DataType.DOUBLE).module();
        INDArray pooled = resnet.forward(GoldenInputs.pixels(model).castTo(DataType.DOUBLE)).pooled();
        assertClose(Golden.npy(model + "/outputs/pooled.f64.npy"), pooled, 1e-12, 1e-12, model + " pooled in float64");
    }

    @ParameterizedTest
    @ValueSource(strings = {"resnet", "resnet_bottleneck"})
    void trainModeOutputAndRunningStatistics(String model) {
        ResNetModel resnet = load(model);
        resnet.setTraining(true);
        INDArray r = Golden.npy(model + "/train/R.npy");
        INDArray pooled = resnet.forward(GoldenInputs.pixels(model)).pooled();
        assertClose(Golden.npy(model + "/train/pooled.npy"), pooled, ATOL, RTOL, model + " train pooled");
        // The loss is sum(pooled * R), an output of the tower: the output tolerance. (Its float32
        // reference carries ~1.3e-5 of rounding: this tower run in float64 is that far from it.)
        assertClose(Golden.npy(model + "/train/loss.npy").reshape(1), pooled.mul(r).sum().reshape(1), ATOL, RTOL, model + " loss");
        Map<String, INDArray> buffers = Golden.safetensors(model + "/train/buffers_after.safetensors");
        assertEquals(buffers.keySet(), resnet.namedBuffers().keySet());
        buffers.forEach((k, b) -> assertClose(b, resnet.namedBuffers().get(k), ATOL, RTOL, model + " " + k));
    }

    private static Map<String, Parameter> trainModeGradients(String model, DataType type) {
        ResNetModel resnet = (ResNetModel) HfModels.load(Golden.path(model), type).module();
        resnet.setTraining(true);
        resnet.forward(GoldenInputs.pixels(model).castTo(type));
        resnet.backward(null, Golden.npy(model + "/train/R.npy").castTo(type));
        return resnet.namedParameters();
    }

    @Test
    void float32GradientsBasicBlock() {
        Map<String, INDArray> grads = Golden.safetensors("resnet/train/grads.safetensors");
        Map<String, Parameter> params = trainModeGradients("resnet", DataType.FLOAT);
        assertEquals(grads.keySet(), params.keySet(), "every parameter has a reference gradient");
        grads.forEach((k, g) -> assertGradClose(g, params.get(k).grad(), 1e-5, "resnet grad " + k));
    }

    /**
     * Train-mode gradients in float64 against torch's float64 gradients (testdata/torch-f64).
     * The bottleneck's float32 reference cannot be met at 1e-5: exact float64 gradients (torch's
     * and these) are 1.03e-5 of max|ref| from it on layer1.0.conv3.weight, its own float32 noise
     * (batch-statistics backward cancels large terms), so this exact comparison stands in for it.
     */
    @ParameterizedTest
    @ValueSource(strings = {"resnet", "resnet_bottleneck"})
    void float64GradientsEqualTorchFloat64(String model) {
        Map<String, INDArray> grads = Golden.torchF64(model + "/grads.safetensors");
        Map<String, Parameter> params = trainModeGradients(model, DataType.DOUBLE);
        assertEquals(grads.keySet(), params.keySet(), "every parameter has a reference gradient");
        grads.forEach((k, g) -> assertGradClose(g, params.get(k).grad(), 1e-10, model + " float64 grad " + k));
    }
}
