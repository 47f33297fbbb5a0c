package clip.exchange;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How the two-level exchange ({@link TwoLevelExchange}) arranges N workers: G groups of L each,
 * member l of group g being rank {@code group(g)[l]}. The rule ({@link #of}):
 * <ul>
 * <li>workers that share a host form a group, when there are several hosts with the same number
 * (at least two) of workers each: the first hop, which carries most of the bytes, then stays
 * inside a host;
 * <li>otherwise (one worker per host, the usual CPU cluster; a single host; hosts with unequal
 * numbers of workers) a near-square grid of ranks ({@link #nearSquare}).
 * </ul>
 * Each worker then sends (L-1)+(G-1) messages per collective instead of N-1.
 */
public final class ExchangeGrid {
    private final int[][] groups;

    /** @param groups every rank 0..N-1 exactly once, in groups of one size */
    public ExchangeGrid(int[][] groups) {
        int n = groups.length * (groups.length == 0 ? 0 : groups[0].length);
        boolean[] seen = new boolean[n];
        for (int[] g : groups) {
            if (g.length != groups[0].length) {
                throw new IllegalArgumentException("groups of different sizes: " + Arrays.deepToString(groups));
            }
            for (int r : g) {
                if (r < 0 || r >= n || seen[r]) {
                    throw new IllegalArgumentException("not every rank 0.." + (n - 1) + " once: " + Arrays.deepToString(groups));
                }
                seen[r] = true;
            }
        }
        if (n == 0) {
            throw new IllegalArgumentException("a grid of no workers");
        }
        this.groups = Arrays.stream(groups).map(int[]::clone).toArray(int[][]::new);
    }

    /** The grid for workers whose registered hosts, in rank order, are {@code hosts} (the rule above). */
    public static ExchangeGrid of(List<String> hosts) {
        Map<String, List<Integer>> byHost = new LinkedHashMap<>();
        for (int r = 0; r < hosts.size(); r++) {
            byHost.computeIfAbsent(hosts.get(r), h -> new ArrayList<>()).add(r);
        }
        int perHost = byHost.values().iterator().next().size();
        if (byHost.size() > 1 && perHost > 1 && byHost.values().stream().allMatch(ranks -> ranks.size() == perHost)) {
            return new ExchangeGrid(byHost.values().stream().map(ranks -> ranks.stream().mapToInt(Integer::intValue).toArray())
                    .toArray(int[][]::new));
        }
        return nearSquare(hosts.size());
    }

    /**
     * N workers as G groups of L, L the largest divisor of N not above its square root (so a
     * prime N gets groups of one: the full mesh), group g being ranks g, g+G, g+2G, ...: then the
     * members at one place in every group are consecutive ranks, so the exchange's parts lie in
     * the order it sends them and it needs no copy.
     */
    public static ExchangeGrid nearSquare(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("a grid of " + n + " workers");
        }
        int l = (int) Math.sqrt(n);
        while (n % l != 0) {
            l--;
        }
        int g = n / l;
        int[][] groups = new int[g][l];
        for (int h = 0; h < g; h++) {
            for (int p = 0; p < l; p++) {
                groups[h][p] = h + g * p;
            }
        }
        return new ExchangeGrid(groups);
    }

    public int workers() {
        return groups.length * groups[0].length;
    }

    /** G. */
    public int groups() {
        return groups.length;
    }

    /** L. */
    public int groupSize() {
        return groups[0].length;
    }

    /** The ranks of group g, member 0 first. */
    public int[] group(int g) {
        return groups[g].clone();
    }

    /** The ranks at place l of every group, group 0's first. */
    public int[] column(int l) {
        return Arrays.stream(groups).mapToInt(g -> g[l]).toArray();
    }

    /** The group {@code rank} is in. */
    public int groupOf(int rank) {
        return find(rank)[0];
    }

    /** {@code rank}'s place in its group. */
    public int placeOf(int rank) {
        return find(rank)[1];
    }

    private int[] find(int rank) {
        for (int g = 0; g < groups.length; g++) {
            for (int l = 0; l < groups[g].length; l++) {
                if (groups[g][l] == rank) {
                    return new int[] {g, l};
                }
            }
        }
        throw new IllegalArgumentException("rank " + rank + " outside a grid of " + workers());
    }

    /** Messages each worker sends per reduce-scatter or all-gather: (L-1)+(G-1). */
    public int messages() {
        return groupSize() - 1 + groups() - 1;
    }

    @Override
    public String toString() {
        return groups() + " groups of " + groupSize();
    }
}
