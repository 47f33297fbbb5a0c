package clip.layers;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** [N, C, H, W] -> [N, C], the mean over each channel's plane (a ResNet's pooled feature). */
public final class GlobalAvgPool implements Layer {
    private long[] inputShape;

    @Override
    public INDArray forward(INDArray x) {
        inputShape = x.shape();
        int planes = (int) (x.size(0) * x.size(1));
        int plane = (int) (x.size(2) * x.size(3));
        double[] xs = HostArrays.doubles(x);
        double[] y = new double[planes];
        for (int p = 0; p < planes; p++) {
            double sum = 0;
            for (int i = p * plane; i < (p + 1) * plane; i++) {
                sum += xs[i];
            }
            y[p] = sum / plane;
        }
        INDArray out = Nd4j.createUninitialized(x.dataType(), x.size(0), x.size(1));
        HostArrays.write(out, y);
        return out;
    }

    @Override
    public INDArray backward(INDArray dy) {
        double[] d = HostArrays.doubles(dy);
        int plane = (int) (inputShape[2] * inputShape[3]);
        double[] dx = new double[d.length * plane];
        for (int p = 0; p < d.length; p++) {
            java.util.Arrays.fill(dx, p * plane, (p + 1) * plane, d[p] / plane);
        }
        INDArray out = Nd4j.createUninitialized(dy.dataType(), inputShape);
        HostArrays.write(out, dx);
        return out;
    }
}
