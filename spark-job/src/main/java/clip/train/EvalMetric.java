package clip.train;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * The names a metric of a metrics.json is chosen by ({@code clip.eval.metric},
 * {@code clip.retrain.metric}), and the value each name reads; higher is better for all.
 */
public final class EvalMetric {
    public static final List<String> NAMES = List.of("mean_recall", "image_to_text.R@1", "image_to_text.R@5",
            "image_to_text.R@10", "text_to_image.R@1", "text_to_image.R@5", "text_to_image.R@10", "zero_shot.top1",
            "zero_shot.top5");

    private EvalMetric() {
    }

    /** The named metric of a metrics.json; zero-shot absent (no categories) counts as 0. */
    public static double of(JsonNode metrics, String name) {
        if (name.equals("mean_recall")) {
            return meanRecall(metrics);
        }
        String[] parts = name.split("\\.", 2);
        return metrics.path(parts[0]).path(parts[1]).asDouble(0);
    }

    /** The mean of the six retrieval recalls. */
    static double meanRecall(JsonNode m) {
        double sum = 0;
        for (String direction : List.of("image_to_text", "text_to_image")) {
            for (String k : List.of("R@1", "R@5", "R@10")) {
                sum += m.path(direction).path(k).asDouble();
            }
        }
        return sum / 6;
    }
}
