package clip.layers;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Max pooling over square windows of [N, C, H, W] with stride and implicit -inf padding (torch's
 * {@code MaxPool2d}); the backward pass routes each output's gradient to the first maximum of
 * its window, in the order torch scans it.
 */
public final class MaxPool2d implements Layer {
    private final int kernel;
    private final int stride;
    private final int padding;
    private long[] inputShape;
    private int[] argmax;

    public MaxPool2d(int kernel, int stride, int padding) {
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
    }

    @Override
    public INDArray forward(INDArray x) {
        inputShape = x.shape();
        int planes = (int) (x.size(0) * x.size(1));
        int h = (int) x.size(2);
        int w = (int) x.size(3);
        int oh = (h + 2 * padding - kernel) / stride + 1;
        int ow = (w + 2 * padding - kernel) / stride + 1;
        double[] xs = HostArrays.doubles(x);
        double[] y = new double[planes * oh * ow];
        argmax = new int[y.length];
        int at = 0;
        for (int p = 0; p < planes; p++) {
            int base = p * h * w;
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    double best = Double.NEGATIVE_INFINITY;
                    int bestAt = -1;
                    for (int iy = Math.max(0, oy * stride - padding); iy < Math.min(h, oy * stride - padding + kernel); iy++) {
                        for (int ix = Math.max(0, ox * stride - padding); ix < Math.min(w, ox * stride - padding + kernel); ix++) {
                            double v = xs[base + iy * w + ix];
                            if (v > best || Double.isNaN(v) || bestAt < 0) {
                                best = v;
                                bestAt = base + iy * w + ix;
                            }
                        }
                    }
                    y[at] = best;
                    argmax[at++] = bestAt;
                }
            }
        }
        INDArray out = Nd4j.createUninitialized(x.dataType(), x.size(0), x.size(1), oh, ow);
        HostArrays.write(out, y);
        return out;
    }

    @Override
    public INDArray backward(INDArray dy) {
        double[] d = HostArrays.doubles(dy);
        double[] dx = new double[Math.toIntExact(inputShape[0] * inputShape[1] * inputShape[2] * inputShape[3])];
        for (int i = 0; i < d.length; i++) {
            dx[argmax[i]] += d[i];
        }
        INDArray out = Nd4j.createUninitialized(dy.dataType(), inputShape);
        HostArrays.write(out, dx);
        return out;
    }
}
