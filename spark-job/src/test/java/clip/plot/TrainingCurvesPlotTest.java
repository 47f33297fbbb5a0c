package clip.plot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.io.BadInputException;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.XYChart;

class TrainingCurvesPlotTest {
    @TempDir
    Path tmp;

    /** 100 steps: loss decays, lr warms up linearly to step 20 then decays to 0 (a cosine schedule). */
    private Path trainLog() throws Exception {
        List<String> lines = new ArrayList<>();
        for (int step = 1; step <= 100; step++) {
            double lr = step <= 20 ? 1e-3 * step / 20 : 1e-3 * 0.5 * (1 + Math.cos(Math.PI * (step - 20) / 80.0));
            lines.add(String.format(Locale.ROOT,
                    "{\"step\":%d,\"loss\":%.6f,\"lr_image\":%.8f,\"grad_norm\":%.4f,\"logit_scale\":%.5f}",
                    step, 5 * Math.exp(-step / 30.0) + 0.5, lr, 2.0 / Math.sqrt(step), Math.log(1 / 0.07) + step * 0.01));
        }
        Path file = tmp.resolve("train-log.jsonl");
        Files.write(file, lines);
        return file;
    }

    private static List<int[]> curve(BufferedImage image) {
        List<int[]> line = Pixels.find(image, TrainingCurves.LINE, 12);
        assertTrue(line.size() > 200, "the curve is drawn in its colour: " + line.size() + " pixels");
        return line;
    }

    @Test
    void writesOnePngPerCurveAtTheRequestedSize() throws Exception {
        List<TrainLogEntry> log = JsonLines.trainLog(trainLog());
        assertEquals(100, log.size());
        List<MetricPoint> metrics = List.of(new MetricPoint(50, "text_to_image/R@5", 20), new MetricPoint(100, "text_to_image/R@5", 35),
                new MetricPoint(50, "zero_shot/top1", 40), new MetricPoint(100, "zero_shot/top1", 55));
        List<Path> written = new TrainingCurves(640, 400).writeAll(log, metrics, tmp.resolve("plots"));
        assertEquals(List.of("loss.png", "learning-rate.png", "grad-norm.png", "logit-scale.png", "metrics.png"),
                written.stream().map(p -> p.getFileName().toString()).toList());
        for (Path png : written) {
            BufferedImage image = ImageIO.read(png.toFile());
            assertEquals(640, image.getWidth(), png.toString());
            assertEquals(400, image.getHeight(), png.toString());
        }
    }

    @Test
    void decayingLossIsDrawnFromHighOnTheLeftToLowOnTheRight() throws Exception {
        TrainingCurves curves = new TrainingCurves(640, 400);
        List<Path> written = curves.writeAll(JsonLines.trainLog(trainLog()), List.of(), tmp);
        BufferedImage loss = ImageIO.read(written.get(0).toFile());
        List<int[]> line = curve(loss);
        int minX = line.stream().mapToInt(p -> p[0]).min().orElseThrow();
        int maxX = line.stream().mapToInt(p -> p[0]).max().orElseThrow();
        int band = (maxX - minX) / 10;
        double leftY = line.stream().filter(p -> p[0] < minX + band).mapToInt(p -> p[1]).average().orElseThrow();
        double rightY = line.stream().filter(p -> p[0] > maxX - band).mapToInt(p -> p[1]).average().orElseThrow();
        assertTrue(leftY < rightY - 100, "high loss at the start is drawn above the low loss at the end: " + leftY + " vs " + rightY);
    }

    @Test
    void learningRatePeaksWhereWarmupEnds() throws Exception {
        XYChart chart = new TrainingCurves(640, 400).learningRateChart(JsonLines.trainLog(trainLog()));
        assertEquals("learning rate (\u00d71e-3)", chart.getYAxisTitle(), "1e-3-sized rates are shown in units of 1e-3");
        double[] shown = chart.getSeriesMap().get("learning rate").getYData();
        assertEquals(1.0, java.util.Arrays.stream(shown).max().orElseThrow(), 1e-9);
        BufferedImage image = org.knowm.xchart.BitmapEncoder.getBufferedImage(chart);
        List<int[]> line = curve(image);
        int minX = line.stream().mapToInt(p -> p[0]).min().orElseThrow();
        int maxX = line.stream().mapToInt(p -> p[0]).max().orElseThrow();
        int[] top = line.stream().min(java.util.Comparator.comparingInt(p -> p[1])).orElseThrow();
        double where = (double) (top[0] - minX) / (maxX - minX);
        assertEquals((20 - 1) / 99.0, where, 0.03, "the highest point of the curve sits at step 20");
    }

    @Test
    void metricsChartHasOneSeriesPerMetricInOrderOfAppearance() {
        XYChart chart = new TrainingCurves(640, 400).metricsChart(List.of(new MetricPoint(100, "b", 2),
                new MetricPoint(100, "a", 1), new MetricPoint(50, "b", 1)));
        assertEquals(List.of("b", "a"), new ArrayList<>(chart.getSeriesMap().keySet()));
        double[] steps = chart.getSeriesMap().get("b").getXData();
        assertEquals(50, steps[0], 0, "points sorted by step");
        assertEquals(100, steps[1], 0);
    }

    @Test
    void noTwoMetricsShareAColour() {
        java.util.Set<java.awt.Color> colours = new java.util.HashSet<>();
        for (int i = 0; i < 24; i++) {
            assertTrue(colours.add(TrainingCurves.colour(i)), "metric " + i + " has a colour of its own");
        }
        List<MetricPoint> nine = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            nine.add(new MetricPoint(100, "m" + i, i));
            nine.add(new MetricPoint(200, "m" + i, i + 1));
        }
        XYChart chart = new TrainingCurves(640, 400).metricsChart(nine);
        assertEquals(9, chart.getSeriesMap().values().stream().map(org.knowm.xchart.XYSeries::getLineColor).distinct().count());
    }

    @Test
    void aRunEvaluatedOnceGetsBarsNotAColumnOfDots(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        List<TrainLogEntry> log = List.of(new TrainLogEntry(1, 2.0, 1e-3, 1, 2.6), new TrainLogEntry(2, 1.5, 1e-3, 1, 2.6));
        List<MetricPoint> once = List.of(new MetricPoint(60, "a", 80), new MetricPoint(60, "b", 20));
        new TrainingCurves(640, 400).writeAll(log, once, dir);
        java.awt.image.BufferedImage png = javax.imageio.ImageIO.read(dir.resolve("metrics.png").toFile());
        List<int[]> columns = new ArrayList<>();
        for (int x = 0; x < png.getWidth(); x++) {
            int height = 0;
            for (int y = 0; y < png.getHeight(); y++) {
                height += (png.getRGB(x, y) & 0xffffff) == (TrainingCurves.LINE.getRGB() & 0xffffff) ? 1 : 0;
            }
            if (height > 0) {
                columns.add(new int[] {x, height});
            }
        }
        int tallest = columns.stream().mapToInt(c -> c[1]).max().orElse(0);
        long wideA = columns.stream().filter(c -> c[1] > 0.9 * tallest).count();
        long wideB = columns.stream().filter(c -> c[1] > 0.2 * tallest && c[1] < 0.3 * tallest).count();
        assertTrue(wideA > 50 && wideB > 50, "two wide bars, the second a quarter of the first: " + wideA + ", " + wideB);
    }

    @Test
    void malformedLogLinesAreNamedByFileAndLine() throws Exception {
        Path file = tmp.resolve("bad.jsonl");
        Files.write(file, List.of("{\"step\":1,\"loss\":2.0}", "", "{\"step\":3,\"loss\":"));
        BadInputException e = assertThrows(BadInputException.class, () -> JsonLines.trainLog(file));
        assertTrue(e.getMessage().startsWith(file + " line 3: malformed JSON"), e.getMessage());
        Files.write(file, List.of("{\"loss\":2.0}"));
        e = assertThrows(BadInputException.class, () -> JsonLines.trainLog(file));
        assertEquals(file + " line 1: missing integer \"step\"", e.getMessage());
        assertThrows(BadInputException.class, () -> JsonLines.trainLog(tmp.resolve("absent.jsonl")));
    }

    @Test
    void evaluationLogFlattensNestedMetricsWithSlashes() throws Exception {
        Path file = tmp.resolve("eval-log.jsonl");
        Files.write(file, List.of("{\"step\":60,\"text_to_image\":{\"R@1\":10.5,\"R@5\":30},\"images\":64}"));
        assertEquals(List.of(new MetricPoint(60, "text_to_image/R@1", 10.5), new MetricPoint(60, "text_to_image/R@5", 30),
                new MetricPoint(60, "images", 64)), JsonLines.metricLog(file));
    }
}
