package clip.plot;

/** One evaluation result during training, e.g. (600, "text_to_image/R@5", 41.2). */
public record MetricPoint(long step, String metric, double value) {
}
