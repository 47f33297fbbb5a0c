package clip.layers;

import static clip.layers.LayerGradientTest.check;
import static clip.layers.LayerGradientTest.init;
import static clip.layers.LayerGradientTest.randn;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The ResNet layers' analytic backward against central differences (double precision), and their forward by hand. */
class ImageLayerGradientTest {

    @Test
    void conv2dInEveryGeometryAResNetUses() {
        int[][] geometries = {{3, 1, 1}, {3, 2, 1}, {1, 1, 0}, {1, 2, 0}, {7, 2, 3}};
        for (int[] g : geometries) {
            Conv2d conv = new Conv2d(2, 3, g[0], g[1], g[2], init());
            check(conv, randn(21, 2, 2, 7, 6), conv::forward, conv::backward);
        }
    }

    @Test
    void conv2dWithoutInputGradientAccumulatesTheSameWeightGradient() {
        Conv2d conv = new Conv2d(2, 3, 7, 2, 3, init());
        INDArray x = randn(23, 2, 2, 9, 8);
        INDArray r = randn(24, conv.forward(x).shape());
        conv.backward(r);
        INDArray full = conv.namedParameters().get("weight").grad().dup();
        conv.zeroGrad();
        conv.forward(x);
        assertEquals(null, conv.backward(r, false));
        assertEquals(full, conv.namedParameters().get("weight").grad());
    }

    @Test
    void conv2dForwardIsTheConvolutionSum() {
        Conv2d conv = new Conv2d(2, 3, 3, 2, 1, init());
        INDArray x = randn(22, 2, 2, 5, 6);
        INDArray y = conv.forward(x);
        assertArrayEquals(new long[] {2, 3, 3, 3}, y.shape());
        INDArray w = conv.namedParameters().get("weight").value();
        for (int[] at : new int[][] {{1, 2, 0, 0}, {0, 1, 2, 1}, {1, 0, 1, 2}}) {
            double sum = 0;
            for (int c = 0; c < 2; c++) {
                for (int i = 0; i < 3; i++) {
                    for (int j = 0; j < 3; j++) {
                        int iy = at[2] * 2 - 1 + i;
                        int ix = at[3] * 2 - 1 + j;
                        if (iy >= 0 && iy < 5 && ix >= 0 && ix < 6) {
                            sum += w.getDouble(at[1], c, i, j) * x.getDouble(at[0], c, iy, ix);
                        }
                    }
                }
            }
            assertEquals(sum, y.getDouble(at[0], at[1], at[2], at[3]), 1e-12);
        }
    }

    private static BatchNorm2d batchNorm(boolean training) {
        BatchNorm2d bn = new BatchNorm2d(3, 1e-5, 0.1, init());
        bn.namedParameters().get("weight").value().assign(randn(31, 3));
        bn.namedParameters().get("bias").value().assign(randn(32, 3));
        bn.runningMean().assign(randn(33, 3));
        bn.runningVar().assign(Nd4j.createFromArray(0.5, 1.5, 2.0));
        bn.setTraining(training);
        return bn;
    }

    @Test
    void batchNormInBothModes() {
        for (boolean training : new boolean[] {false, true}) {
            BatchNorm2d bn = batchNorm(training);
            check(bn, randn(34, 2, 3, 4, 3), bn::forward, bn::backward);
        }
    }

    @Test
    void batchNormEvalUsesRunningStatistics() {
        BatchNorm2d bn = batchNorm(false);
        INDArray x = randn(35, 2, 3, 2, 2);
        INDArray y = bn.forward(x);
        double g = bn.namedParameters().get("weight").value().getDouble(1);
        double b = bn.namedParameters().get("bias").value().getDouble(1);
        double expected = (x.getDouble(1, 1, 0, 1) - bn.runningMean().getDouble(1)) / Math.sqrt(1.5 + 1e-5) * g + b;
        assertEquals(expected, y.getDouble(1, 1, 0, 1), 1e-12);
    }

    @Test
    void batchNormTrainUpdatesRunningStatisticsWithUnbiasedVariance() {
        BatchNorm2d bn = batchNorm(true);
        double before = bn.runningMean().getDouble(2);
        INDArray x = randn(36, 2, 3, 2, 2);
        INDArray y = bn.forward(x);
        double[] v = new double[8];
        int k = 0;
        for (int n = 0; n < 2; n++) {
            for (int i = 0; i < 2; i++) {
                for (int j = 0; j < 2; j++) {
                    v[k++] = x.getDouble(n, 2, i, j);
                }
            }
        }
        double mean = java.util.Arrays.stream(v).average().orElseThrow();
        double ss = java.util.Arrays.stream(v).map(a -> (a - mean) * (a - mean)).sum();
        assertEquals(0.9 * before + 0.1 * mean, bn.runningMean().getDouble(2), 1e-12);
        assertEquals(0.9 * 2.0 + 0.1 * ss / 7, bn.runningVar().getDouble(2), 1e-12);
        double g = bn.namedParameters().get("weight").value().getDouble(2);
        double b = bn.namedParameters().get("bias").value().getDouble(2);
        assertEquals((v[5] - mean) / Math.sqrt(ss / 8 + 1e-5) * g + b, y.getDouble(1, 2, 0, 1), 1e-12);
    }

    @Test
    void maxPool() {
        MaxPool2d pool = new MaxPool2d(3, 2, 1);
        check(new Module() { }, randn(41, 2, 2, 7, 6), pool::forward, pool::backward);
        INDArray x = Nd4j.createFromArray(new double[][] {{1, 5, 2}, {7, 3, 4}, {0, 9, 8}}).reshape(1, 1, 3, 3);
        INDArray y = pool.forward(x);
        assertArrayEquals(new double[] {7, 5, 9, 9}, y.reshape(4).toDoubleVector(), 0.0);
    }

    @Test
    void globalAveragePool() {
        GlobalAvgPool pool = new GlobalAvgPool();
        check(new Module() { }, randn(51, 2, 3, 4, 5), pool::forward, pool::backward);
        INDArray x = randn(52, 2, 3, 4, 5);
        assertEquals(x.slice(1).slice(2).meanNumber().doubleValue(), pool.forward(x).getDouble(1, 2), 1e-12);
    }

    @Test
    void float32MatchesFloat64() {
        for (int[] g : new int[][] {{3, 2, 1}, {1, 1, 0}}) {
            INDArray x = randn(61, 2, 3, 9, 9);
            Conv2d c64 = new Conv2d(3, 4, g[0], g[1], g[2], init());
            Conv2d c32 = new Conv2d(3, 4, g[0], g[1], g[2], new Init(7, DataType.FLOAT, 0.5));
            c32.namedParameters().get("weight").value().assign(c64.namedParameters().get("weight").value());
            INDArray y64 = c64.forward(x);
            INDArray y32 = c32.forward(x.castTo(DataType.FLOAT));
            assertEquals(0.0, y64.sub(y32.castTo(DataType.DOUBLE)).amaxNumber().doubleValue(), 1e-5);
            INDArray r = randn(62, y64.shape());
            INDArray dx64 = c64.backward(r);
            INDArray dx32 = c32.backward(r.castTo(DataType.FLOAT));
            assertEquals(0.0, dx64.sub(dx32.castTo(DataType.DOUBLE)).amaxNumber().doubleValue(), 1e-5);
            assertEquals(0.0, c64.namedParameters().get("weight").grad()
                    .sub(c32.namedParameters().get("weight").grad().castTo(DataType.DOUBLE)).amaxNumber().doubleValue(), 1e-4);
        }
    }
}
