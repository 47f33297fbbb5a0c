package clip.exchange;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The parameter server's reduce-scatter and all-gather in two hops over an {@link ExchangeGrid}
 * of G groups of L, instead of the full mesh's message to each of the N-1 others. Reduce-scatter:
 * within its group, member l gets the group's sum of the parts owned by the workers at place l of
 * every group (one message to each of the L-1 others); then among those G workers each gets the
 * global sum of its own part (G-1 messages). All-gather is the reverse: across, then within the
 * group. The result is the mesh's contract, worker r ending with part r of {@code bounds}, so the
 * optimizer's shards, and its checkpoints, stay where they are. Each worker moves the same bytes
 * as in the mesh, (N-1)/N of the vector per collective: (L-1)/L on the first hop, (G-1)/N on the
 * second.
 *
 * <p>The sums are taken in a fixed order, the group's members in order and then the groups in
 * order, so the bits are the same on every run with the same grid, though not the mesh's
 * (which adds all N in rank order). The training step's other collectives take the same two
 * hops: the all-gather of arrays (embeddings; the scalars of {@link #allReduceSum}, which then adds
 * in rank order as the mesh does) and the reduce-scatter of arrays (the local loss's gradients,
 * through the flat one). Only {@link #allToAll}, whose every pair of workers has its own data,
 * stays the mesh's.
 */
public final class TwoLevelExchange implements Collective {
    /** The subgroup lines the two hops use, on whichever line of the whole group this exchange runs. */
    private static final int WITHIN = 1;
    private static final int ACROSS = 2;
    private final Collective whole;
    private final ExchangeGrid grid;
    private final Collective group;
    private final Collective column;
    private final int place;
    /** The ranks in the order the two hops want their parts: place 0 of every group, then place 1, ... */
    private final int[] order;
    /** Whether {@link #order} is rank order, so the parts need no copying to lie in it. */
    private final boolean inOrder;
    private TwoLevelExchange side;

    public TwoLevelExchange(Collective whole, ExchangeGrid grid) {
        if (grid.workers() != whole.size()) {
            throw new IllegalArgumentException("a grid of " + grid.workers() + " for " + whole.size() + " workers");
        }
        this.whole = whole;
        this.grid = grid;
        int rank = whole.rank();
        this.place = grid.placeOf(rank);
        this.group = whole.subgroup(grid.group(grid.groupOf(rank)), WITHIN);
        this.column = whole.subgroup(grid.column(place), ACROSS);
        int g = grid.groups();
        this.order = new int[whole.size()];
        boolean identity = true;
        for (int l = 0; l < grid.groupSize(); l++) {
            int[] c = grid.column(l);
            for (int h = 0; h < g; h++) {
                order[l * g + h] = c[h];
                identity &= c[h] == l * g + h;
            }
        }
        this.inOrder = identity;
    }

    @Override
    public int rank() {
        return whole.rank();
    }

    @Override
    public int size() {
        return whole.size();
    }

    @Override
    public float[][] allToAll(float[][] send) {
        return whole.allToAll(send);
    }

    /** Within the group, then across it, the group's arrays packed in one behind their lengths. */
    @Override
    public float[][] allGather(float[] local) {
        float[][] ours = group.allGather(local);
        int packed = 2 * ours.length;
        for (float[] a : ours) {
            packed += a.length;
        }
        float[] pack = new float[packed];
        int at = 2 * ours.length;
        for (int l = 0; l < ours.length; l++) {
            // a length in two floats of 24 bits each, both exact
            pack[2 * l] = ours[l].length >>> 24;
            pack[2 * l + 1] = ours[l].length & 0xFFFFFF;
            System.arraycopy(ours[l], 0, pack, at, ours[l].length);
            at += ours[l].length;
        }
        float[][] out = new float[size()][];
        float[][] groups = column.allGather(pack);
        for (int h = 0; h < groups.length; h++) {
            int[] members = grid.group(h);
            at = 2 * members.length;
            for (int l = 0; l < members.length; l++) {
                int n = ((int) groups[h][2 * l] << 24) | (int) groups[h][2 * l + 1];
                out[members[l]] = java.util.Arrays.copyOfRange(groups[h], at, at + n);
                at += n;
            }
        }
        return out;
    }

    /** Through the flat reduce-scatter: part s of the vector is {@code send[s]}. */
    @Override
    public float[] reduceScatterSum(float[][] send) {
        checkOnePerRank(send);
        int[] bounds = new int[size() + 1];
        for (int s = 0; s < size(); s++) {
            bounds[s + 1] = bounds[s] + send[s].length;
        }
        ByteBuffer flat = ByteBuffer.allocateDirect(bounds[size()] * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (float[] part : send) {
            flat.asFloatBuffer().put(part);
            flat.position(flat.position() + part.length * Float.BYTES);
        }
        ByteBuffer shard = ByteBuffer.allocateDirect(send[rank()].length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        reduceScatterSum(flat.rewind(), bounds, shard);
        float[] sum = new float[send[rank()].length];
        shard.asFloatBuffer().get(sum);
        return sum;
    }

    @Override
    public synchronized Collective sideChannel() {
        if (side == null) {
            side = new TwoLevelExchange(whole.sideChannel(), grid);
        }
        return side;
    }

    @Override
    public void reduceScatterSum(ByteBuffer flat, int[] bounds, ByteBuffer shard) {
        startReduceScatterSum(flat, bounds, shard).run();
    }

    /** The first hop leaves at once; the task waits for it, then runs the second. */
    @Override
    public Runnable startReduceScatterSum(ByteBuffer flat, int[] bounds, ByteBuffer shard) {
        int[] laid = laidBounds(bounds);
        ByteBuffer parts = inOrder ? flat : lay(flat, bounds, laid);
        int[] within = withinBounds(laid);
        ByteBuffer columnSum = ByteBuffer.allocateDirect((within[place + 1] - within[place]) * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        Runnable first = group.startReduceScatterSum(parts, within, columnSum);
        int[] across = acrossBounds(laid);
        return () -> {
            first.run();
            column.reduceScatterSum(columnSum, across, shard);
        };
    }

    @Override
    public void allGather(ByteBuffer flat, int[] bounds) {
        startAllGather(flat, bounds).run();
    }

    /** The first hop (across the groups) leaves at once; the task waits for it, then runs the second, within the group. */
    @Override
    public Runnable startAllGather(ByteBuffer flat, int[] bounds) {
        int[] laid = laidBounds(bounds);
        ByteBuffer parts = flat;
        if (!inOrder) {
            parts = ByteBuffer.allocateDirect(bounds[size()] * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            int at = place * grid.groups() + grid.groupOf(rank());
            copy(flat, bounds[rank()], parts, laid[at], laid[at + 1] - laid[at]);
        }
        int[] within = withinBounds(laid);
        Runnable across = column.startAllGather(floats(parts, within[place], within[place + 1]), acrossBounds(laid));
        ByteBuffer laidParts = parts;
        return () -> {
            across.run();
            group.allGather(laidParts, within);
            if (!inOrder) {
                for (int i = 0; i < order.length; i++) {
                    copy(laidParts, laid[i], flat, bounds[order[i]], laid[i + 1] - laid[i]);
                }
            }
        };
    }

    /** Where each part starts when the parts lie in {@link #order}: part {@code order[i]} at {@code [laid[i], laid[i+1])}. */
    private int[] laidBounds(int[] bounds) {
        int[] laid = new int[order.length + 1];
        for (int i = 0; i < order.length; i++) {
            laid[i + 1] = laid[i] + bounds[order[i] + 1] - bounds[order[i]];
        }
        return laid;
    }

    /** The first hop's parts: place l's are the parts of every group's member at place l. */
    private int[] withinBounds(int[] laid) {
        int[] within = new int[grid.groupSize() + 1];
        for (int l = 0; l <= grid.groupSize(); l++) {
            within[l] = laid[l * grid.groups()];
        }
        return within;
    }

    /** The second hop's parts, within this worker's place: group h's member's part. */
    private int[] acrossBounds(int[] laid) {
        int first = place * grid.groups();
        int[] across = new int[grid.groups() + 1];
        for (int h = 0; h <= grid.groups(); h++) {
            across[h] = laid[first + h] - laid[first];
        }
        return across;
    }

    /** A copy of the parts of {@code flat} laid in {@link #order}. */
    private ByteBuffer lay(ByteBuffer flat, int[] bounds, int[] laid) {
        ByteBuffer out = ByteBuffer.allocateDirect(laid[order.length] * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < order.length; i++) {
            copy(flat, bounds[order[i]], out, laid[i], laid[i + 1] - laid[i]);
        }
        return out;
    }

    private static void copy(ByteBuffer from, int at, ByteBuffer to, int into, int floats) {
        to.duplicate().position(into * Float.BYTES).put(from.slice(at * Float.BYTES, floats * Float.BYTES));
    }

    private static ByteBuffer floats(ByteBuffer b, int from, int to) {
        return b.slice(from * Float.BYTES, (to - from) * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    }
}
