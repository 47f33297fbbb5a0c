package clip.layers;

import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Parameter initialisation from an explicit seed (HF's scheme: normal(0, std) weights, zero
 * biases, unit LayerNorm gains), so two runs with the same seed start from identical weights.
 */
public final class Init {
    private static final int CHUNK = 1 << 16;
    /** Null for {@link #forLoading}: its normal weights are zeros. */
    private final SplittableRandom random;
    private final DataType dataType;
    private final double std;

    public Init(long seed, DataType dataType, double std) {
        this(new SplittableRandom(seed), dataType, std);
    }

    private Init(SplittableRandom random, DataType dataType, double std) {
        this.random = random;
        this.dataType = dataType;
        this.std = std;
    }

    /**
     * For a model whose weights a checkpoint, or another model's, replace as soon as it is built:
     * its normal weights are zeros, not draws. Drawing them cost 25 ns a parameter compiled and
     * 190 ns before, seconds for a ViT-B model, every time a command or an embedding task loaded
     * one, all thrown away.
     */
    public static Init forLoading(DataType dataType) {
        return new Init(null, dataType, 0);
    }

    public DataType dataType() {
        return dataType;
    }

    public Parameter normal(long... shape) {
        return normal(std, shape);
    }

    public Parameter normal(double stddev, long... shape) {
        if (random == null) {
            return zeros(shape);
        }
        INDArray values = Nd4j.createUninitialized(dataType, shape);
        long n = values.length();
        // Drawn in double and rounded to the parameter's type a chunk at a time, straight into its
        // buffer: a whole double copy of the token embeddings was 50 MB of heap and native garbage.
        double[] chunk = new double[(int) Math.min(n, CHUNK)];
        for (long start = 0; start < n; start += chunk.length) {
            int len = (int) Math.min(chunk.length, n - start);
            for (int i = 0; i < len; i++) {
                chunk[i] = gaussian() * stddev;
            }
            put(values, start, chunk, len);
        }
        return new Parameter(values);
    }

    private static void put(INDArray values, long start, double[] chunk, int len) {
        if (values.dataType() == DataType.FLOAT) {
            float[] f = new float[len];
            for (int i = 0; i < len; i++) {
                f[i] = (float) chunk[i];
            }
            RowMajor.floats(values).put(Math.toIntExact(start), f, 0, len);
        } else if (values.dataType() == DataType.DOUBLE) {
            RowMajor.doubles(values).put(Math.toIntExact(start), chunk, 0, len);
        } else {
            throw new IllegalArgumentException("parameters are float32 or float64, not " + values.dataType());
        }
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
