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
        boolean[] own = {false, false, true, false, true, false};
        Path png = new CaptionRanking(160, 420).write(7, Pixels.solid(Color.RED, 50, 100), captions, scores, own,
                tmp.resolve("captions.png"));

        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(16 + 160 + 32 + 420 + 16, image.getWidth());
        assertEquals(16 + 32 + 5 * 64 + 40 + 16, image.getHeight());
        List<int[]> red = Pixels.find(image, Color.RED, 0);
        assertEquals(80 * 160, red.size(), "the 50x100 image fitted into its 160 box");
        assertTrue(Pixels.centroid(red)[0] < 16 + 160, "the image is on the left");

        List<int[]> others = Pixels.bars(image, Drawing.ACCENT);
        List<int[]> mine = Pixels.bars(image, Drawing.CORRECT).stream().filter(b -> b[2] > 20).toList();
        assertEquals(3, others.size(), "a bar for each shown caption of another image");
        assertEquals(2, mine.size(), "the image's own captions (2nd and 3rd best) in the CORRECT colour");
        List<int[]> bars = new java.util.ArrayList<>(others);
        bars.addAll(mine);
        bars.sort(java.util.Comparator.comparingInt(b -> b[0]));
        assertEquals(mine.get(0)[0], bars.get(1)[0]);
        assertEquals(mine.get(1)[0], bars.get(2)[0]);
        // Bars run from a floor a third of the shown range below the lowest score (0.1 - 0.8 / 3), so
        // differences show: length is proportional to score - floor.
        double floor = 0.1 - 0.8 / 3;
        double[] expected = {0.9, 0.6, 0.45, 0.3, 0.1};
        for (int i = 0; i < 5; i++) {
            assertEquals((expected[i] - floor) / (0.9 - floor), bars.get(i)[2] / (double) bars.get(0)[2], 0.01, "bar " + (i + 1) + " length");
            if (i > 0) {
                assertTrue(bars.get(i)[0] > bars.get(i - 1)[0], "best caption first, top to bottom");
            }
        }
    }

    @Test
    void scoresAThousandthApartGetClearlyDifferentBars() {
        // what a real model gives: 0.699 to 0.711 (issue 13 §4); drawn from 0, the bars differed by 2%
        double[] scores = {0.711, 0.708, 0.705, 0.702, 0.699, 0.5};
        List<String> captions = List.of("a", "b", "c", "d", "e", "f");
        BufferedImage image = new CaptionRanking(64, 420).draw(1, Pixels.solid(Color.RED, 8, 8), captions, scores, new boolean[6]);
        List<int[]> bars = Pixels.bars(image, Drawing.ACCENT);
        assertEquals(5, bars.size());
        assertTrue(bars.get(4)[2] < 0.3 * bars.get(0)[2], "the lowest of the five is well short of the best: " + bars.get(4)[2]
                + " vs " + bars.get(0)[2]);
        assertTrue(Pixels.find(image, Drawing.MISSED, 60).size() > 50, "no own caption shown: a note says where it is");
    }
}
