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

class RetrievalGridPlotTest {
    @TempDir
    Path tmp;

    @Test
    void showsTheFiveBestImagesBestFirstLeftToRight() throws Exception {
        Color[] colours = {Color.RED, Color.GREEN, Color.BLUE, Color.YELLOW, Color.MAGENTA, Color.CYAN, Color.ORANGE};
        // Scores put the images in the order blue, cyan, red, magenta, green; yellow and orange miss the top 5.
        double[] scores = {0.50, 0.10, 0.90, 0.05, 0.30, 0.70, 0.01};
        List<BufferedImage> images = java.util.Arrays.stream(colours).map(c -> Pixels.solid(c, 40, 30)).toList();
        long[] ids = {10, 11, 12, 13, 14, 15, 16};
        RetrievalGrid grid = new RetrievalGrid(120);
        // the query is a caption of the red image (index 0), third best
        Path png = grid.write("a blue square on the left", scores, ids, 0, images::get, tmp.resolve("retrieval.png"));

        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(16 + 5 * (120 + 16), image.getWidth());
        assertEquals(grid.draw("x", scores, ids, 0, images::get).getHeight(), image.getHeight());
        Color[] expectedOrder = {Color.BLUE, Color.CYAN, Color.RED, Color.MAGENTA, Color.GREEN};
        double lastX = -1000;
        double firstY = -1;
        for (Color c : expectedOrder) {
            List<int[]> tile = Pixels.find(image, c, 0);
            // 40x30 scaled into a 120 square: 120x90 pixels.
            assertEquals(120 * 90, tile.size(), "one aspect-preserving tile of " + c);
            double[] centre = Pixels.centroid(tile);
            assertTrue(centre[0] > lastX + 100, c + " comes after the previous tile: " + centre[0] + " vs " + lastX);
            if (firstY >= 0) {
                assertEquals(firstY, centre[1], 0.5, "tiles share one row");
            }
            lastX = centre[0];
            firstY = centre[1];
        }
        // The right image's tile (red, 3rd) is framed in the CORRECT colour, and no other tile is.
        double[] red = Pixels.centroid(Pixels.find(image, Color.RED, 0));
        List<int[]> frame = Pixels.find(image, Drawing.CORRECT, 0).stream().filter(p -> Math.abs(p[1] - red[1]) <= 64).toList();
        assertEquals(4 * (4 * 120 + 4 * 4), frame.size(), "a 4-pixel frame around the 120 square tile");
        double[] frameCentre = Pixels.centroid(frame);
        assertEquals(16 + 2 * 136 + 60 - 0.5, frameCentre[0], 0.01, "the frame is around the third tile");
        assertTrue(Pixels.find(image, Drawing.MISSED, 40).isEmpty(), "no 'not shown' note when the right image is shown");
        assertTrue(Pixels.find(image, Color.YELLOW, 0).isEmpty(), "the 6th best image is not shown");
        assertTrue(Pixels.find(image, Color.ORANGE, 0).isEmpty(), "the 7th best image is not shown");
    }

    @Test
    void aRightImageOutsideTheTopFiveIsNamedWithItsRankInsteadOfFramed() {
        List<BufferedImage> images = java.util.stream.IntStream.range(0, 7).mapToObj(i -> Pixels.solid(Color.GRAY, 30, 30)).toList();
        double[] scores = {0.50, 0.10, 0.90, 0.05, 0.30, 0.70, 0.01};
        BufferedImage image = new RetrievalGrid(80).draw("q", scores, new long[7], 3, images::get);
        assertTrue(Pixels.find(image, Drawing.CORRECT, 0).isEmpty(), "nothing framed");
        assertTrue(Pixels.find(image, Drawing.MISSED, 60).size() > 50, "a note in the MISSED colour");
    }
}
