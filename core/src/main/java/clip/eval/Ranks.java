package clip.eval;

import java.util.Arrays;

/** The 1-based rank of the right answer for each query, and the usual summaries. */
public record Ranks(int[] ranks) {
    /** Percentage of queries whose right answer is in the top k. */
    public double recallAt(int k) {
        long hits = Arrays.stream(ranks).filter(r -> r <= k).count();
        return 100.0 * hits / ranks.length;
    }

    public double medianRank() {
        int[] s = ranks.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0;
    }
}
