package clip.retrain;

import clip.train.EvalMetric;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * When a candidate replaces production: its metric must beat production's by more than the
 * margin, both measured on the same validation split. An empty registry takes any candidate
 * whose metric is a number.
 */
public record PromotionRule(String metric, double margin) {
    /** Whether to promote, and why, in one line for the log and the report. */
    public record Decision(boolean promote, String reason) {
    }

    /** @param production production's metrics, or null when the registry has no production model */
    public Decision decide(JsonNode candidate, JsonNode production) {
        double c = value(candidate);
        if (!Double.isFinite(c)) {
            return new Decision(false, String.format("%s of the candidate is %s, not a number", metric, c));
        }
        if (production == null) {
            return new Decision(true, String.format("%s %.2f; the registry had no production model", metric, c));
        }
        double p = value(production);
        boolean better = c > p + margin;
        return new Decision(better, String.format("%s: candidate %.2f %s production %.2f + margin %.2f", metric, c,
                better ? ">" : "<=", p, margin));
    }

    /** Missing zero-shot accuracy (a split without object categories) would read as 0 and decide nothing. */
    public double value(JsonNode metrics) {
        if (metric.startsWith("zero_shot.") && !metrics.path("zero_shot").isObject()) {
            throw new IllegalStateException(metric + " was not measured (the validation data has no object categories)");
        }
        return EvalMetric.of(metrics, metric);
    }
}
