package clip.plot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ZeroShotBarsPlotTest {
    @TempDir
    Path tmp;

    @Test
    void barsAreTheFiveLargestProbabilitiesOnAFixedZeroToOneAxis() throws Exception {
        List<String> classes = List.of("circle", "square", "triangle", "star", "cross", "ring", "heart");
        double[] p = {0.05, 0.50, 0.02, 0.20, 0.10, 0.08, 0.05};
        ZeroShotBars chart = new ZeroShotBars(128, 300);
        // the true class is "star", second most probable
        Path png = chart.write(3, Pixels.solid(Color.GREEN, 64, 64), classes, p, 3, tmp.resolve("zero-shot.png"));

        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(chart.draw(3, Pixels.solid(Color.GREEN, 64, 64), classes, p, 3).getWidth(), image.getWidth());
        assertEquals(128 * 128, Pixels.find(image, Color.GREEN, 0).size(), "the image, scaled to its box");
        List<int[]> truth = Pixels.bars(image, Drawing.CORRECT).stream().filter(b -> b[2] > 20).toList();
        assertEquals(1, truth.size(), "the true class's bar in the CORRECT colour");
        assertEquals(Math.round(300 * 0.20), truth.get(0)[2], 1);
        List<int[]> bars = new java.util.ArrayList<>(Pixels.bars(image, Drawing.ACCENT));
        assertEquals(4, bars.size());
        bars.add(truth.get(0));
        bars.sort(java.util.Comparator.comparingInt(b -> b[0]));
        double[] expected = {0.50, 0.20, 0.10, 0.08, 0.05};
        for (int i = 0; i < 5; i++) {
            assertEquals(Math.round(300 * expected[i]), bars.get(i)[2], 1, "bar " + (i + 1) + " is p * axis width");
            assertEquals(bars.get(0)[1], bars.get(i)[1], "bars start on the axis");
            if (i > 0) {
                assertTrue(bars.get(i)[0] > bars.get(i - 1)[0], "most probable class on top");
            }
        }
        assertTrue(bars.get(0)[1] > 16 + 128, "the chart is right of the image");
    }

    @Test
    void aTrueClassOutsideTheTopFiveGetsARowOfItsOwnBelowThem() {
        List<String> classes = List.of("circle", "square", "triangle", "star", "cross", "ring", "heart");
        double[] p = {0.05, 0.50, 0.02, 0.20, 0.10, 0.08, 0.05};
        BufferedImage image = new ZeroShotBars(128, 300).draw(1, Pixels.solid(Color.GRAY, 64, 64), classes, p, 2);
        List<int[]> others = Pixels.bars(image, Drawing.ACCENT);
        List<int[]> truth = Pixels.bars(image, Drawing.CORRECT).stream().filter(b -> b[2] >= 4).toList();
        assertEquals(5, others.size(), "the five most probable, none of them right");
        assertEquals(1, truth.size());
        assertEquals(Math.round(300 * 0.02), truth.get(0)[2], 1);
        assertTrue(truth.get(0)[0] > others.get(4)[0] + 22, "below the five");
        assertTrue(Pixels.find(image, Drawing.MISSED, 60).size() > 50, "with a note in the MISSED colour");
    }
}
