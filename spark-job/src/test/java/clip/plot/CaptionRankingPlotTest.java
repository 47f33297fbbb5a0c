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

class CaptionRankingPlotTest {
    @TempDir
    Path tmp;

    @Test
    void showsTheImageAndItsFiveBestCaptionsWithBarsProportionalToTheirScores() throws Exception {
        List<String> captions = List.of("a red circle", "two green triangles above a small blue square on a grey field",
                "a blue square", "nothing", "a red circle and a blue square", "a yellow star");
        double[] scores = {0.9, 0.3, 0.6, 0.05, 0.45, 0.1};
        Path png = new CaptionRanking(160, 420).write(Pixels.solid(Color.RED, 50, 100), captions, scores,
                tmp.resolve("captions.png"));

        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(16 + 160 + 32 + 420 + 16, image.getWidth());
        assertEquals(2 * 16 + 5 * 64, image.getHeight());
        List<int[]> red = Pixels.find(image, Color.RED, 0);
        assertEquals(80 * 160, red.size(), "the 50x100 image fitted into its 160 box");
        assertTrue(Pixels.centroid(red)[0] < 16 + 160, "the image is on the left");

        List<int[]> bars = Pixels.bars(image, Drawing.ACCENT);
        assertEquals(5, bars.size(), "one bar per shown caption");
        double[] expected = {0.9, 0.6, 0.45, 0.3, 0.1};
        for (int i = 0; i < 5; i++) {
            assertEquals(expected[i] / 0.9, bars.get(i)[2] / (double) bars.get(0)[2], 0.01, "bar " + (i + 1) + " length");
            if (i > 0) {
                assertTrue(bars.get(i)[0] > bars.get(i - 1)[0], "best caption first, top to bottom");
            }
        }
    }
}
