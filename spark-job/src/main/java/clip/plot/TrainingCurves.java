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
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.AxesChartStyler;
import org.knowm.xchart.style.CategoryStyler;
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
    /**
     * Line colours of the metrics chart: matplotlib's ten (an evaluation logs nine metrics, and a
     * cycled eight-colour palette gave the ninth the first one's colour), then hues spread by the
     * golden angle, so no two metrics share a colour.
     */
    private static final Color[] PALETTE = {
        new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44), new Color(214, 39, 40),
        new Color(148, 103, 189), new Color(140, 86, 75), new Color(227, 119, 194), new Color(127, 127, 127),
        new Color(188, 189, 34), new Color(23, 190, 207),
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

    /** The colour of the i-th metric: distinct for every i. */
    static Color colour(int i) {
        return i < PALETTE.length ? PALETTE[i] : Color.getHSBColor((float) ((i * 0.6180339887) % 1), 0.75f, 0.75f - 0.1f * (i % 3));
    }

    /**
     * A run evaluated once, as bars: one per metric in order of first appearance, labelled with
     * its value (as lines over steps it would be a single column of dots).
     */
    public CategoryChart singleEvaluationChart(List<MetricPoint> points) {
        long step = points.get(0).step();
        CategoryChart chart = new CategoryChartBuilder().width(width).height(height).title("evaluation at step " + step)
                .xAxisTitle("metric").yAxisTitle("value").build();
        CategoryStyler st = chart.getStyler();
        style(st);
        st.setLabelsVisible(true);
        st.setLabelsFont(new Font(Font.SANS_SERIF, Font.BOLD, 12));
        st.setLabelsFontColor(Drawing.TEXT);
        st.setLabelsPosition(1.0);
        st.setYAxisDecimalPattern("0.0");
        st.setYAxisMin(0.0);
        st.setYAxisMax(Math.max(100, points.stream().mapToDouble(MetricPoint::value).max().orElse(0)) * 1.08);
        CategorySeries s = chart.addSeries("value", points.stream().map(MetricPoint::metric).toList(),
                points.stream().map(MetricPoint::value).toList());
        s.setFillColor(LINE);
        return chart;
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
            s.setLineColor(colour(i));
            s.setMarkerColor(colour(i));
            s.setMarker(ps.size() <= 30 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
            i++;
        }
        return chart;
    }

    /**
     * Writes loss.png, learning-rate.png, grad-norm.png, logit-scale.png (each when the log has
     * that value) and metrics.png (when {@code metrics} is not empty: lines over steps, or bars
     * when every point is of one step) into {@code dir}.
     */
    public List<Path> writeAll(List<TrainLogEntry> log, List<MetricPoint> metrics, Path dir) throws IOException {
        if (log.isEmpty()) {
            throw new IllegalArgumentException("an empty training log has no curves");
        }
        Map<String, Chart<?, ?>> charts = new LinkedHashMap<>();
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
            boolean once = metrics.stream().mapToLong(MetricPoint::step).distinct().count() == 1;
            charts.put("metrics", once ? singleEvaluationChart(metrics) : metricsChart(metrics));
        }
        List<Path> written = new ArrayList<>();
        for (Map.Entry<String, Chart<?, ?>> e : charts.entrySet()) {
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
        style(st);
        st.setLegendPosition(Styler.LegendPosition.OutsideE);
        st.setLegendBorderColor(Color.WHITE);
        return chart;
    }

    /** What every chart of a run shares: white, light grid, no legend, slanted x labels. */
    private static void style(AxesChartStyler st) {
        st.setChartBackgroundColor(Color.WHITE);
        st.setPlotBackgroundColor(Color.WHITE);
        st.setPlotBorderColor(new Color(0xbb, 0xbb, 0xbb));
        st.setPlotGridLinesColor(new Color(0xe6, 0xe6, 0xe6));
        st.setLegendVisible(false);
        st.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        st.setAntiAlias(true);
        // XChart puts the ticks of evenly spaced steps (every step logged) on data points, and
        // level labels ran together past step 1,000; slanted, they do not.
        st.setXAxisLabelRotation(30);
    }
}
