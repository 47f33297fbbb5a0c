package clip.plot;

import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * A run's curves against step, one PNG each: loss, learning rate, gradient norm and
 * exp(logit_scale) from {@code train-log.jsonl}, and evaluation metrics (one line per metric)
 * when there are any.
 */
public final class TrainingCurves {
    /** The colour of single-series curves (tests find the curve by it). */
    public static final Color LINE = Drawing.ACCENT;
    /** Distinct, colour-blind-safe line colours for the metrics chart (Okabe &amp; Ito), cycled. */
    private static final Color[] PALETTE = {
        new Color(0, 114, 178), new Color(230, 159, 0), new Color(0, 158, 115), new Color(204, 121, 167),
        new Color(86, 180, 233), new Color(213, 94, 0), new Color(240, 228, 66), new Color(0, 0, 0),
    };

    private final int width;
    private final int height;

    public TrainingCurves(int width, int height) {
        this.width = width;
        this.height = height;
    }

    public XYChart lossChart(List<TrainLogEntry> log) {
        return single("training loss", "loss", log, TrainLogEntry::loss);
    }

    public XYChart learningRateChart(List<TrainLogEntry> log) {
        return single("learning rate (image tower)", "learning rate", log, TrainLogEntry::learningRate);
    }

    public XYChart gradNormChart(List<TrainLogEntry> log) {
        return single("gradient norm (before clipping)", "global L2 norm", log, TrainLogEntry::gradNorm);
    }

    /** exp(logit_scale), the factor the cosine similarities are multiplied by (OpenCLIP caps it at 100). */
    public XYChart logitScaleChart(List<TrainLogEntry> log) {
        return single("logit scale", "exp(logit_scale)", log, e -> Math.exp(e.logitScale()));
    }

    /** One line per metric name, in order of first appearance. */
    public XYChart metricsChart(List<MetricPoint> points) {
        Map<String, List<MetricPoint>> byMetric = new LinkedHashMap<>();
        for (MetricPoint p : points) {
            byMetric.computeIfAbsent(p.metric(), k -> new ArrayList<>()).add(p);
        }
        XYChart chart = chart("evaluation during training", "value");
        chart.getStyler().setLegendVisible(true);
        int i = 0;
        for (Map.Entry<String, List<MetricPoint>> e : byMetric.entrySet()) {
            List<MetricPoint> ps = e.getValue().stream().sorted(java.util.Comparator.comparingLong(MetricPoint::step)).toList();
            XYSeries s = chart.addSeries(e.getKey(), ps.stream().mapToDouble(MetricPoint::step).toArray(),
                    ps.stream().mapToDouble(MetricPoint::value).toArray());
            s.setLineColor(PALETTE[i % PALETTE.length]);
            s.setMarkerColor(PALETTE[i % PALETTE.length]);
            s.setMarker(ps.size() <= 30 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
            i++;
        }
        return chart;
    }

    /**
     * Writes loss.png, learning-rate.png, grad-norm.png, logit-scale.png (each when the log has
     * that value) and metrics.png (when {@code metrics} is not empty) into {@code dir}.
     */
    public List<Path> writeAll(List<TrainLogEntry> log, List<MetricPoint> metrics, Path dir) throws IOException {
        if (log.isEmpty()) {
            throw new IllegalArgumentException("an empty training log has no curves");
        }
        Map<String, XYChart> charts = new LinkedHashMap<>();
        charts.put("loss", lossChart(log));
        if (log.stream().anyMatch(e -> Double.isFinite(e.learningRate()))) {
            charts.put("learning-rate", learningRateChart(log));
        }
        if (log.stream().anyMatch(e -> Double.isFinite(e.gradNorm()))) {
            charts.put("grad-norm", gradNormChart(log));
        }
        if (log.stream().anyMatch(e -> Double.isFinite(e.logitScale()))) {
            charts.put("logit-scale", logitScaleChart(log));
        }
        if (!metrics.isEmpty()) {
            charts.put("metrics", metricsChart(metrics));
        }
        List<Path> written = new ArrayList<>();
        for (Map.Entry<String, XYChart> e : charts.entrySet()) {
            written.add(Drawing.writePng(BitmapEncoder.getBufferedImage(e.getValue()), dir.resolve(e.getKey() + ".png")));
        }
        return written;
    }

    /** A one-curve chart of the entries where {@code value} is finite. */
    private XYChart single(String title, String yTitle, List<TrainLogEntry> log, ToDoubleFunction<TrainLogEntry> value) {
        List<TrainLogEntry> kept = log.stream().filter(e -> Double.isFinite(value.applyAsDouble(e))).toList();
        if (kept.isEmpty()) {
            throw new IllegalArgumentException("no finite values for " + yTitle);
        }
        double[] y = kept.stream().mapToDouble(value).toArray();
        int exponent = displayExponent(y);
        String unit = exponent == 0 ? "" : " (\u00d71e" + exponent + ")";
        for (int i = 0; i < y.length; i++) {
            y[i] /= Math.pow(10, exponent);
        }
        XYChart chart = chart(title, yTitle + unit);
        XYSeries s = chart.addSeries(yTitle, kept.stream().mapToDouble(TrainLogEntry::step).toArray(), y);
        s.setLineColor(LINE);
        s.setLineWidth(2f);
        s.setMarker(kept.size() == 1 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
        s.setMarkerColor(LINE);
        return chart;
    }

    /**
     * The power of ten to divide tiny or huge values by (learning rates are ~1e-4). Besides
     * readable tick labels this avoids an XChart quirk: it treats series whose steps all differ by
     * less than 1e-4 as evenly spaced and puts ticks on data points instead of round numbers.
     */
    static int displayExponent(double[] values) {
        double max = 0;
        for (double v : values) {
            max = Math.max(max, Math.abs(v));
        }
        if (max == 0 || (max >= 1e-2 && max < 1e4)) {
            return 0;
        }
        return (int) Math.floor(Math.log10(max));
    }

    private XYChart chart(String title, String yTitle) {
        XYChart chart = new XYChartBuilder().width(width).height(height).title(title).xAxisTitle("step")
                .yAxisTitle(yTitle).build();
        XYStyler st = chart.getStyler();
        st.setChartBackgroundColor(Color.WHITE);
        st.setPlotBackgroundColor(Color.WHITE);
        st.setPlotBorderColor(new Color(0xbb, 0xbb, 0xbb));
        st.setPlotGridLinesColor(new Color(0xe6, 0xe6, 0xe6));
        st.setLegendVisible(false);
        st.setLegendPosition(Styler.LegendPosition.OutsideE);
        st.setLegendBorderColor(Color.WHITE);
        st.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        st.setAntiAlias(true);
        return chart;
    }
}
