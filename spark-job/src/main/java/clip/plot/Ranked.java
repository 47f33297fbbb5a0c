package clip.plot;

import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/** An item's position in the caller's list and its score; {@link #top} picks the best k. */
public record Ranked(int index, double score) {
    /** The k highest scores, best first; equal scores keep the caller's order. */
    public static List<Ranked> top(double[] scores, int k) {
        return IntStream.range(0, scores.length).mapToObj(i -> new Ranked(i, scores[i]))
                .sorted(Comparator.comparingDouble(Ranked::score).reversed())
                .limit(k).toList();
    }
}
