package clip.layers;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Inverted dropout whose mask is a pure function of (seed, step, worker, position): element j of
 * row r is dropped when a hash of (seed, step, worker, (firstRow + r) * width + j) falls under p.
 * So a resumed run draws the masks the interrupted one would have, and GradCache's second forward
 * pass over a micro-batch draws exactly the masks of its first. Identity when p = 0 or when not
 * training.
 */
public final class Dropout implements Layer {
    private final double p;
    private final long seed;
    private boolean training;
    private long step;
    private int worker;
    private long firstRow;
    private INDArray mask;

    public Dropout(double p, long seed) {
        if (p < 0 || p >= 1) {
            throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        }
        this.p = p;
        this.seed = seed;
    }

    public void setTraining(boolean training) {
        this.training = training;
    }

    /** True when a forward pass drops values. */
    public boolean active() {
        return training && p > 0;
    }

    /** Where the next forward pass's rows sit: the step, the worker, and the first row's index in the worker's batch. */
    public void at(long step, int worker, long firstRow) {
        this.step = step;
        this.worker = worker;
        this.firstRow = firstRow;
    }

    @Override
    public INDArray forward(INDArray x) {
        if (!training || p == 0) {
            mask = null;
            return x;
        }
        long width = x.size(x.rank() - 1);
        long base = mix(mix(mix(seed) ^ step) ^ worker);
        double[] m = new double[(int) x.length()];
        double keep = 1 / (1 - p);
        for (int i = 0; i < m.length; i++) {
            double u = (mix(base ^ (firstRow * width + i)) >>> 11) * 0x1.0p-53;
            m[i] = u < p ? 0 : keep;
        }
        mask = Nd4j.createFromArray(m).castTo(x.dataType()).reshape(x.shape());
        return x.mul(mask);
    }

    @Override
    public INDArray backward(INDArray dy) {
        return mask == null ? dy : dy.mul(mask);
    }

    /** SplitMix64's finaliser: every input bit reaches every output bit. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
