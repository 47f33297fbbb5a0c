package clip.exchange;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The one exchange data-parallel training needs between its N workers: an all-to-all, where
 * worker r hands {@code send[s]} to worker s and gets back what every worker sent it, indexed by
 * source rank. All-gather, reduce-scatter and all-reduce are built from it by default, combining
 * in rank order, so results do not depend on arrival order ({@link TwoLevelExchange} builds them
 * from subgroups and combines in an order of its own, as fixed).
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

    /**
     * The same workers on a second line of exchanges, numbered apart from this one's, so that one
     * thread may exchange on it while another uses this one (the gradient buckets' reduce-scatters
     * run during the backward pass, whose SyncBatchNorm sums use this one). Every worker must use
     * both lines in the same order each. The side channel's own side channel is a third line
     * (the replicated update gathers each bucket's sums on it, from the thread that awaits the
     * buckets, while the backward pass starts further buckets on the second).
     */
    default Collective sideChannel() {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no side channel");
    }

    /**
     * The workers {@code members} (ranks of this group; member i is rank i of the subgroup) as a
     * group of their own, whose exchanges involve only them (a message to each other member, not
     * to every worker), numbered on line {@code line} (1 to 63) of this group's. Every member must
     * ask with the same members and line, and two subgroups that share a worker need different
     * lines, so that their exchanges are never confused.
     */
    default Collective subgroup(int[] members, int line) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no subgroups");
    }

    /** Refuses a subgroup this worker is not in, or a line outside 1..63; returns this worker's rank in it. */
    static int checkSubgroup(int rank, int size, int[] members, int line) {
        if (line < 1 || line > 63) {
            throw new IllegalArgumentException("subgroup line " + line + " outside 1..63");
        }
        int self = -1;
        for (int i = 0; i < members.length; i++) {
            checkRank(members[i], size);
            self = members[i] == rank ? i : self;
        }
        if (self < 0) {
            throw new IllegalArgumentException("rank " + rank + " is not in the subgroup " + java.util.Arrays.toString(members));
        }
        return self;
    }

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
     * Reduce-scatter over one flat buffer of little-endian floats: worker s's part is floats
     * {@code [bounds[s], bounds[s+1])}, and worker r gets into {@code shard} the sum over workers of
     * their part r, added in rank order (the same bits as {@link #reduceScatterSum(float[][])}).
     * {@code flat} is not changed.
     */
    default void reduceScatterSum(ByteBuffer flat, int[] bounds, ByteBuffer shard) {
        float[][] send = new float[size()][];
        for (int s = 0; s < size(); s++) {
            send[s] = floats(flat, bounds[s], bounds[s + 1]);
        }
        shard.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(reduceScatterSum(send));
    }

    /**
     * {@link #reduceScatterSum(ByteBuffer, int[], ByteBuffer)} in two halves: what this worker
     * sends may leave at once, and the returned task waits for the sums. Exchanges started one
     * after another (from one thread) must be awaited in the same order; while a worker waits for
     * one, what it sends for the next is already on the way, so a chain of them is not held up by
     * a round trip each. Here everything happens when the task runs.
     */
    default Runnable startReduceScatterSum(ByteBuffer flat, int[] bounds, ByteBuffer shard) {
        return () -> reduceScatterSum(flat, bounds, shard);
    }

    /**
     * All-gather in place over one flat buffer of little-endian floats: worker r's part,
     * floats {@code [bounds[r], bounds[r+1])}, reaches the same place in every worker's buffer.
     */
    default void allGather(ByteBuffer flat, int[] bounds) {
        float[][] parts = allGather(floats(flat, bounds[rank()], bounds[rank() + 1]));
        for (int r = 0; r < size(); r++) {
            flat.slice(bounds[r] * Float.BYTES, parts[r].length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer()
                    .put(parts[r]);
        }
    }

    /**
     * {@link #allGather(ByteBuffer, int[])} in two halves, as {@link #startReduceScatterSum}: this
     * worker's part may leave at once, and the returned task waits for the others' (the
     * parameters' all-gather in pieces behind the forward pass sends every piece at once). Here
     * everything happens when the task runs.
     */
    default Runnable startAllGather(ByteBuffer flat, int[] bounds) {
        return () -> allGather(flat, bounds);
    }

    private static float[] floats(ByteBuffer flat, int from, int to) {
        float[] out = new float[to - from];
        flat.slice(from * Float.BYTES, out.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
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

    /**
     * A value as {@link #allReduceSum} adds it: the float it travels as plus the float of its
     * remainder. Adding each worker's {@code asSent} in rank order gives that sum's bits without
     * the exchange.
     */
    static double asSent(double x) {
        float hi = (float) x;
        return (double) hi + (float) (x - hi);
    }
}
