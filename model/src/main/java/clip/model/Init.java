package clip.model;

import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Parameter initialisation from an explicit seed (HF's scheme: normal(0, std) weights, zero
 * biases, unit LayerNorm gains), so two runs with the same seed start from identical weights.
 */
public final class Init {
    private final SplittableRandom random;
    private final DataType dataType;
    private final double std;

    public Init(long seed, DataType dataType, double std) {
        this.random = new SplittableRandom(seed);
        this.dataType = dataType;
        this.std = std;
    }

    public DataType dataType() {
        return dataType;
    }

    public Parameter normal(long... shape) {
        return normal(std, shape);
    }

    public Parameter normal(double stddev, long... shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        double[] v = new double[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) {
            v[i] = gaussian() * stddev;
        }
        return new Parameter(Nd4j.createFromArray(v).castTo(dataType).reshape('c', shape));
    }

    public Parameter zeros(long... shape) {
        return new Parameter(Nd4j.zeros(dataType, shape));
    }

    public Parameter ones(long... shape) {
        return new Parameter(Nd4j.ones(dataType, shape));
    }

    public Parameter constant(double value, long... shape) {
        return new Parameter(Nd4j.zeros(dataType, shape).addi(value));
    }

    private double gaussian() {
        double u1 = random.nextDouble();
        double u2 = random.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }
}
