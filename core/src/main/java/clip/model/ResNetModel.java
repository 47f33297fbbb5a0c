package clip.model;

import clip.layers.Activation;
import clip.layers.ActivationKind;
import clip.layers.BatchNorm2d;
import clip.layers.BatchStatistics;
import clip.layers.Conv2d;
import clip.layers.GlobalAvgPool;
import clip.layers.Init;
import clip.layers.MaxPool2d;
import clip.layers.Module;
import clip.layers.StepMemory;
import clip.layers.TransformerLayer;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A torchvision/timm ResNet image tower with torchvision's state_dict names: stem (7x7/2 conv,
 * BatchNorm, ReLU, 3x3/2 max pool), four stages of {@link ResNetBlock}s ({@code layer1..4.N}),
 * global average pooling. The classifier {@code fc} is not part of the tower: the pooled feature
 * feeds the projection head, as CLIP recipes replace {@code fc} by the identity.
 *
 * <p>Hidden states are the stem's and each stage's output, [N, C, H, W]; the last hidden state is
 * layer4's. Starts in eval mode (BatchNorm on running statistics), what a frozen tower needs.
 */
public final class ResNetModel extends Module implements Tower<INDArray> {
    private final ResNetConfig config;
    private final Conv2d conv1;
    private final BatchNorm2d bn1;
    private final Activation relu = activation(new Activation(ActivationKind.RELU));
    private final MaxPool2d maxPool = new MaxPool2d(3, 2, 1);
    private final List<List<ResNetBlock>> stages = new ArrayList<>();
    private final GlobalAvgPool avgPool = new GlobalAvgPool();
    private boolean training;

    public ResNetModel(ResNetConfig c, Init init) {
        this.config = c;
        this.conv1 = child("conv1", new Conv2d(3, c.planes()[0], 7, 2, 3, init));
        this.bn1 = child("bn1", new BatchNorm2d(c.planes()[0], c.batchNormEps(), c.batchNormMomentum(), init));
        int in = c.planes()[0];
        for (int s = 0; s < 4; s++) {
            List<ResNetBlock> blocks = new ArrayList<>();
            for (int b = 0; b < c.layers()[s]; b++) {
                int stride = s > 0 && b == 0 ? 2 : 1;
                blocks.add(child("layer" + (s + 1) + "." + b,
                        new ResNetBlock(c.bottleneck(), in, c.planes()[s], stride, c, init)));
                in = c.planes()[s] * c.expansion();
            }
            stages.add(blocks);
        }
    }

    /** Train mode normalises with batch statistics and updates the running ones; eval mode uses them. */
    public void setTraining(boolean training) {
        this.training = training;
        bn1.setTraining(training);
        stages.forEach(blocks -> blocks.forEach(b -> b.setTraining(training)));
    }

    /** True in train mode: a forward pass normalises with batch statistics and moves the running ones. */
    public boolean training() {
        return training;
    }

    /** Where every BatchNorm adds up its train-mode sums (see {@link BatchStatistics}). */
    public void setStatistics(BatchStatistics statistics) {
        bn1.setStatistics(statistics);
        stages.forEach(blocks -> blocks.forEach(b -> b.setStatistics(statistics)));
    }

    @Override
    public TowerOutput forward(INDArray pixels) {
        List<INDArray> hidden = new ArrayList<>();
        parametersNeeded(conv1);
        parametersNeeded(bn1);
        INDArray x = maxPool.forward(relu.forward(bn1.forward(conv1.forward(pixels))));
        hidden.add(x);
        for (List<ResNetBlock> blocks : stages) {
            for (ResNetBlock block : blocks) {
                parametersNeeded(block);
                x = block.forward(x);
            }
            hidden.add(x);
        }
        return new TowerOutput(hidden, x, avgPool.forward(x));
    }

    @Override
    public void backward(INDArray dLast, INDArray dPooled) {
        INDArray d = TowerGradient.merge(dLast, dPooled == null ? null : avgPool.backward(dPooled));
        for (int s = stages.size() - 1; s >= 0; s--) {
            for (int b = stages.get(s).size() - 1; b >= 0; b--) {
                try (var ws = StepMemory.openLayerBackward()) {
                    d = StepMemory.keep(stages.get(s).get(b).backward(d));
                }
            }
        }
        conv1.backward(bn1.backward(relu.backward(maxPool.backward(d))), false);
    }

    @Override
    public int hiddenSize() {
        return config.features();
    }

    /** None: a ResNet has no transformer layers (no attention maps). */
    @Override
    public List<TransformerLayer> layers() {
        return List.of();
    }

    public ResNetConfig config() {
        return config;
    }
}
