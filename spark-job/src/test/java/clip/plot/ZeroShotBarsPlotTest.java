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
        Path png = chart.write(Pixels.solid(Color.GREEN, 64, 64), classes, p, tmp.resolve("zero-shot.png"));

        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(chart.draw(Pixels.solid(Color.GREEN, 64, 64), classes, p).getWidth(), image.getWidth());
        assertEquals(128 * 128, Pixels.find(image, Color.GREEN, 0).size(), "the image, scaled to its box");
        List<int[]> bars = Pixels.bars(image, Drawing.ACCENT);
        assertEquals(5, bars.size());
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
}
