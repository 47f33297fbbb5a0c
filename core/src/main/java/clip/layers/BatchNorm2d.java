package clip.layers;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Batch normalisation over the channels of [N, C, H, W], as torch's {@code BatchNorm2d}.
 *
 * <p>Eval mode normalises with the running statistics (a frozen tower must: OpenCLIP's locked
 * image towers run so). Train mode normalises with the batch's mean and biased variance and moves
 * the running statistics towards the batch's mean and unbiased variance by {@code momentum}.
 * Statistics are summed in double; the backward pass recomputes the normalised input from the
 * kept input rather than keeping a second activation.
 *
 * <p>In train mode the sums (count, sum, squared deviations; in the backward pass the sums of dy
 * and dy x̂) go through {@link BatchStatistics}: summed over the workers of a step they make
 * SyncBatchNorm, and γ's and β's gradients stay this replica's share (the trainer sums those).
 */
public final class BatchNorm2d extends Module implements Layer {
    private final Parameter gain;
    private final Parameter bias;
    private final INDArray runningMean;
    private final INDArray runningVar;
    private final int channels;
    private final double eps;
    private final double momentum;
    private boolean training;
    private INDArray input;
    private double[] mean;
    private double[] rstd;
    private boolean batchStatistics;
    private BatchStatistics statistics = BatchStatistics.LOCAL;
    private double count;

    public BatchNorm2d(int channels, double eps, double momentum, Init init) {
        this.channels = channels;
        this.eps = eps;
        this.momentum = momentum;
        this.gain = param("weight", init.ones(channels));
        this.bias = param("bias", init.zeros(channels));
        this.runningMean = buffer("running_mean", Nd4j.zeros(init.dataType(), channels));
        this.runningVar = buffer("running_var", Nd4j.ones(init.dataType(), channels));
    }

    public void setTraining(boolean training) {
        this.training = training;
    }

    /** Where train-mode sums are added up ({@link BatchStatistics#LOCAL} unless a trainer syncs them). */
    public void setStatistics(BatchStatistics statistics) {
        this.statistics = statistics;
    }

    @Override
    public INDArray forward(INDArray x) {
        if (x.rank() != 4 || x.size(1) != channels) {
            throw new IllegalArgumentException("BatchNorm2d expects [N, " + channels + ", H, W], got "
                    + java.util.Arrays.toString(x.shape()));
        }
        input = x;
        batchStatistics = training;
        double[] xs = HostArrays.doubles(x);
        int images = (int) x.size(0);
        int plane = (int) (x.size(2) * x.size(3));
        mean = new double[channels];
        rstd = new double[channels];
        if (training) {
            batchStatistics(xs, images, plane);
        } else {
            double[] rm = HostArrays.doubles(runningMean);
            double[] rv = HostArrays.doubles(runningVar);
            for (int c = 0; c < channels; c++) {
                mean[c] = rm[c];
                rstd[c] = 1 / Math.sqrt(rv[c] + eps);
            }
        }
        double[] g = HostArrays.doubles(gain.value());
        double[] b = HostArrays.doubles(bias.value());
        double[] y = new double[xs.length];
        for (int n = 0; n < images; n++) {
            for (int c = 0; c < channels; c++) {
                double scale = g[c] * rstd[c];
                double shift = b[c] - mean[c] * scale;
                int base = (n * channels + c) * plane;
                for (int p = base; p < base + plane; p++) {
                    y[p] = xs[p] * scale + shift;
                }
            }
        }
        INDArray out = Nd4j.createUninitialized(x.dataType(), x.shape());
        HostArrays.write(out, y);
        return out;
    }

    private void batchStatistics(double[] xs, int images, int plane) {
        double[] sums = new double[channels + 1];
        for (int c = 0; c < channels; c++) {
            double sum = 0;
            for (int n = 0; n < images; n++) {
                int base = (n * channels + c) * plane;
                for (int p = base; p < base + plane; p++) {
                    sum += xs[p];
                }
            }
            sums[c] = sum;
        }
        sums[channels] = (double) images * plane;
        sums = statistics.sum(sums);
        count = sums[channels];
        if (count < 2) {
            throw new IllegalArgumentException("BatchNorm2d in train mode needs more than one value per channel, got "
                    + (long) count);
        }
        double[] squares = new double[channels];
        for (int c = 0; c < channels; c++) {
            mean[c] = sums[c] / count;
            double sq = 0;
            for (int n = 0; n < images; n++) {
                int base = (n * channels + c) * plane;
                for (int p = base; p < base + plane; p++) {
                    double d = xs[p] - mean[c];
                    sq += d * d;
                }
            }
            squares[c] = sq;
        }
        squares = statistics.sum(squares);
        double[] var = new double[channels];
        for (int c = 0; c < channels; c++) {
            var[c] = squares[c] / count;
            rstd[c] = 1 / Math.sqrt(var[c] + eps);
        }
        double[] rm = HostArrays.doubles(runningMean);
        double[] rv = HostArrays.doubles(runningVar);
        for (int c = 0; c < channels; c++) {
            rm[c] = (1 - momentum) * rm[c] + momentum * mean[c];
            rv[c] = (1 - momentum) * rv[c] + momentum * var[c] * count / (count - 1);
        }
        HostArrays.write(runningMean, rm);
        HostArrays.write(runningVar, rv);
    }

    /** Accumulates dγ, dβ and returns dL/dx. */
    @Override
    public INDArray backward(INDArray dy) {
        double[] xs = HostArrays.doubles(input);
        double[] d = HostArrays.doubles(dy);
        int images = (int) input.size(0);
        int plane = (int) (input.size(2) * input.size(3));
        double[] g = HostArrays.doubles(gain.value());
        double[] sumDy = new double[channels];
        double[] sumDyXhat = new double[channels];
        for (int n = 0; n < images; n++) {
            for (int c = 0; c < channels; c++) {
                int base = (n * channels + c) * plane;
                double s = 0;
                double sx = 0;
                for (int p = base; p < base + plane; p++) {
                    s += d[p];
                    sx += d[p] * (xs[p] - mean[c]);
                }
                sumDy[c] += s;
                sumDyXhat[c] += sx * rstd[c];
            }
        }
        if (gain.trainable()) {
            gain.grad().addi(Nd4j.createFromArray(sumDyXhat).castTo(gain.grad().dataType()));
        }
        if (bias.trainable()) {
            bias.grad().addi(Nd4j.createFromArray(sumDy).castTo(bias.grad().dataType()));
        }
        double[] global = batchStatistics ? statistics.sum(concat(sumDy, sumDyXhat)) : null;
        double[] dx = new double[xs.length];
        for (int n = 0; n < images; n++) {
            for (int c = 0; c < channels; c++) {
                int base = (n * channels + c) * plane;
                double k = g[c] * rstd[c];
                if (batchStatistics) {
                    // dx = γ rstd (dy - mean(dy) - x̂ mean(dy x̂)): the batch statistics depend on x too
                    double meanDy = global[c] / count;
                    double meanDyXhat = global[channels + c] / count;
                    for (int p = base; p < base + plane; p++) {
                        double xhat = (xs[p] - mean[c]) * rstd[c];
                        dx[p] = k * (d[p] - meanDy - xhat * meanDyXhat);
                    }
                } else {
                    for (int p = base; p < base + plane; p++) {
                        dx[p] = k * d[p];
                    }
                }
            }
        }
        INDArray out = Nd4j.createUninitialized(input.dataType(), input.shape());
        HostArrays.write(out, dx);
        return out;
    }

    private static double[] concat(double[] a, double[] b) {
        double[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    public INDArray runningMean() {
        return runningMean;
    }

    public INDArray runningVar() {
        return runningVar;
    }
}
