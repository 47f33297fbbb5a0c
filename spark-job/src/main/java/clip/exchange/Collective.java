package clip.exchange;

/**
 * The one exchange data-parallel training needs between its N workers: an all-to-all, where
 * worker r hands {@code send[s]} to worker s and gets back what every worker sent it, indexed by
 * source rank. All-gather, reduce-scatter and all-reduce are built from it, always combining in
 * rank order, so results do not depend on arrival order.
 */
public interface Collective {
    int rank();

    int size();

    /**
     * @param send one array per destination rank (may be empty)
     * @return one array per source rank
     * @throws PeerFailureException when a peer fails or misses the deadline
     */
    float[][] allToAll(float[][] send);

    /** Refuses what allToAll cannot take: anything but one array per rank. */
    default void checkOnePerRank(float[][] send) {
        if (send.length != size()) {
            throw new IllegalArgumentException("need one array per rank, got " + send.length);
        }
    }

    /** Refuses a rank outside a group of {@code size}. */
    static void checkRank(int rank, int size) {
        if (rank < 0 || rank >= size) {
            throw new IllegalArgumentException("rank " + rank + " outside a group of " + size);
        }
    }

    /** Every worker's array, in rank order. */
    default float[][] allGather(float[] local) {
        float[][] send = new float[size()][];
        java.util.Arrays.fill(send, local);
        return allToAll(send);
    }

    /**
     * Reduce-scatter: worker r gets the element-wise sum over workers of what each sent it as
     * {@code send[r]}, added in rank order.
     */
    default float[] reduceScatterSum(float[][] send) {
        float[][] received = allToAll(send);
        float[] sum = new float[received[0].length];
        for (float[] part : received) {
            if (part.length != sum.length) {
                throw new IllegalStateException("workers disagree on the length of a reduce-scatter part: "
                        + part.length + " vs " + sum.length);
            }
            for (int i = 0; i < sum.length; i++) {
                sum[i] += part[i];
            }
        }
        return sum;
    }

    /**
     * Element-wise sum over workers, added in double in rank order (small arrays: scalars,
     * flags). Each value travels as a float plus the float of its remainder: about 48 of a
     * double's 53 bits (relative error under 2^-48) for magnitudes from about 1e-20 to 3e38,
     * fewer below that, and infinite beyond a float's range.
     */
    default double[] allReduceSum(double[] local) {
        float[] asFloat = new float[local.length * 2];
        for (int i = 0; i < local.length; i++) {
            float hi = (float) local[i];
            asFloat[2 * i] = hi;
            asFloat[2 * i + 1] = (float) (local[i] - hi);
        }
        double[] sum = new double[local.length];
        for (float[] part : allGather(asFloat)) {
            for (int i = 0; i < local.length; i++) {
                sum[i] += (double) part[2 * i] + part[2 * i + 1];
            }
        }
        return sum;
    }
}
