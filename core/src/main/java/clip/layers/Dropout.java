package clip.layers;

import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Inverted dropout with its own seeded generator, so a run is reproducible; inactive (identity)
 * when p = 0 or when not training.
 */
public final class Dropout implements Layer {
    private final double p;
    private final SplittableRandom random;
    private boolean training;
    private INDArray mask;

    public Dropout(double p, long seed) {
        if (p < 0 || p >= 1) {
            throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        }
        this.p = p;
        this.random = new SplittableRandom(seed);
    }

    public void setTraining(boolean training) {
        this.training = training;
    }

    @Override
    public INDArray forward(INDArray x) {
        if (!training || p == 0) {
            mask = null;
            return x;
        }
        double[] m = new double[(int) x.length()];
        double keep = 1 / (1 - p);
        for (int i = 0; i < m.length; i++) {
            m[i] = random.nextDouble() < p ? 0 : keep;
        }
        mask = Nd4j.createFromArray(m).castTo(x.dataType()).reshape(x.shape());
        return x.mul(mask);
    }

    @Override
    public INDArray backward(INDArray dy) {
        return mask == null ? dy : dy.mul(mask);
    }
}
