package clip.bench;

import clip.layers.Init;
import clip.layers.StepMemory;
import clip.model.ResNetConfig;
import clip.model.ResNetModel;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A ResNet tower's train-mode forward + backward (batch statistics, every parameter's gradient,
 * loss = sum(pooled * R)), timed per step: what {@code bench/resnet_step.sh} compares with
 * torchvision's same network in the same run.
 * Usage: {@code ResNetBench ARCH BATCH IMAGE_SIZE STEPS} (ARCH as timm names it, e.g. resnet18).
 */
public final class ResNetBench {
    private ResNetBench() {
    }

    public static void main(String[] args) throws Exception {
        String arch = args[0];
        int batch = Integer.parseInt(args[1]);
        int size = Integer.parseInt(args[2]);
        int steps = Integer.parseInt(args[3]);
        ResNetModel model = new ResNetModel(ResNetConfig.fromJson(
                new ObjectMapper().readTree("{\"architecture\": \"" + arch + "\"}"), arch), new Init(0, DataType.FLOAT, 0.02));
        model.setTraining(true);
        INDArray pixels = new Init(1, DataType.FLOAT, 1.0).normal(batch, 3, size, size).value();
        INDArray r = new Init(2, DataType.FLOAT, 1.0).normal(batch, model.hiddenSize()).value();
        double[] seconds = new double[steps];
        for (int i = -2; i < steps; i++) { // two warm-up steps
            long t0 = System.nanoTime();
            try (var ws = StepMemory.open()) {
                model.forward(pixels);
                model.backward(null, r);
            }
            if (i >= 0) {
                seconds[i] = (System.nanoTime() - t0) / 1e9;
            }
        }
        Arrays.sort(seconds);
        System.out.printf("java %s batch %d image %d: median %.3f s/step (min %.3f, max %.3f, %d steps)%n", arch, batch, size,
                seconds[steps / 2], seconds[0], seconds[steps - 1], steps);
    }
}
