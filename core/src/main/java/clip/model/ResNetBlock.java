package clip.model;

import clip.layers.Activation;
import clip.layers.ActivationKind;
import clip.layers.BatchNorm2d;
import clip.layers.BatchStatistics;
import clip.layers.Conv2d;
import clip.layers.Init;
import clip.layers.Module;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * torchvision's {@code BasicBlock} (two 3x3 convolutions) or {@code Bottleneck} (1x1, 3x3 with
 * the stride, 1x1 widening by 4: ResNet v1.5 as torchvision and timm have it), each convolution
 * followed by BatchNorm, the shortcut a 1x1 strided convolution + BatchNorm when the shape changes,
 * and ReLU after the sum.
 */
final class ResNetBlock extends Module {
    private final List<Conv2d> convs = new ArrayList<>();
    private final List<BatchNorm2d> norms = new ArrayList<>();
    private final List<Activation> relus = new ArrayList<>();
    private final Conv2d downsampleConv;
    private final BatchNorm2d downsampleNorm;
    private final Activation outRelu = activation(new Activation(ActivationKind.RELU));

    ResNetBlock(boolean bottleneck, int in, int planes, int stride, ResNetConfig c, Init init) {
        int out = planes * (bottleneck ? 4 : 1);
        if (bottleneck) {
            add(1, new Conv2d(in, planes, 1, 1, 0, init), planes, c, init);
            add(2, new Conv2d(planes, planes, 3, stride, 1, init), planes, c, init);
            add(3, new Conv2d(planes, out, 1, 1, 0, init), out, c, init);
        } else {
            add(1, new Conv2d(in, planes, 3, stride, 1, init), planes, c, init);
            add(2, new Conv2d(planes, planes, 3, 1, 1, init), planes, c, init);
        }
        if (stride != 1 || in != out) {
            downsampleConv = child("downsample.0", new Conv2d(in, out, 1, stride, 0, init));
            downsampleNorm = child("downsample.1", new BatchNorm2d(out, c.batchNormEps(), c.batchNormMomentum(), init));
        } else {
            downsampleConv = null;
            downsampleNorm = null;
        }
    }

    private void add(int i, Conv2d conv, int channels, ResNetConfig c, Init init) {
        convs.add(child("conv" + i, conv));
        norms.add(child("bn" + i, new BatchNorm2d(channels, c.batchNormEps(), c.batchNormMomentum(), init)));
        relus.add(activation(new Activation(ActivationKind.RELU)));
    }

    void setTraining(boolean training) {
        norms.forEach(n -> n.setTraining(training));
        if (downsampleNorm != null) {
            downsampleNorm.setTraining(training);
        }
    }

    void setStatistics(BatchStatistics statistics) {
        norms.forEach(n -> n.setStatistics(statistics));
        if (downsampleNorm != null) {
            downsampleNorm.setStatistics(statistics);
        }
    }

    INDArray forward(INDArray x) {
        INDArray h = x;
        int last = convs.size() - 1;
        for (int i = 0; i < last; i++) {
            h = relus.get(i).forward(norms.get(i).forward(convs.get(i).forward(h)));
        }
        h = norms.get(last).forward(convs.get(last).forward(h));
        INDArray shortcut = downsampleConv == null ? x : downsampleNorm.forward(downsampleConv.forward(x));
        return outRelu.forward(h.addi(shortcut));
    }

    INDArray backward(INDArray dy) {
        INDArray dSum = outRelu.backward(dy);
        int last = convs.size() - 1;
        INDArray d = convs.get(last).backward(norms.get(last).backward(dSum));
        for (int i = last - 1; i >= 0; i--) {
            d = convs.get(i).backward(norms.get(i).backward(relus.get(i).backward(d)));
        }
        return d.addi(downsampleConv == null ? dSum : downsampleConv.backward(downsampleNorm.backward(dSum)));
    }
}
