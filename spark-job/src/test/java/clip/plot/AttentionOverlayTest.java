package clip.plot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AttentionOverlayTest {
    @TempDir
    Path tmp;

    @Test
    void bilinearUpsamplingAlignsCellCentresAndHoldsTheEdges() {
        // 1x2 grid to 4 pixels: pixel centres 0.5..3.5 fall at cell coordinates -0.25, 0.25, 0.75, 1.25.
        double[][] up = AttentionOverlay.upsample(new double[][] {{0, 1}}, 4, 3);
        for (double[] row : up) {
            assertArrayEquals(new double[] {0, 0.25, 0.75, 1}, row, 1e-12);
        }
        double[][] square = AttentionOverlay.upsample(new double[][] {{0, 1}, {1, 0}}, 2, 2);
        assertArrayEquals(new double[] {0, 1}, square[0], 1e-12, "same size: the grid itself");
        assertArrayEquals(new double[] {1, 0}, square[1], 1e-12);
    }

    @Test
    void theImageKeepsItsColoursBesideAHeatMapOverAGreyscaleCopyWithAColourBar() throws Exception {
        BufferedImage orange = Pixels.solid(new Color(230, 120, 20), 96, 64);
        double[][] map = {{0, 0.2, 1}, {0.5, 0, 0.4}};
        Path png = new AttentionOverlay(0.5).write("rollout of a test", orange, map, tmp.resolve("overlay.png"));
        BufferedImage image = ImageIO.read(png.toFile());

        // Both panels are 384x256 (the 96x64 image scaled up), side by side under the title band.
        int pw = 384;
        int ph = 256;
        assertArrayEquals(new int[] {pw, ph}, AttentionOverlay.panelSize(orange));
        int top = AttentionOverlay.HEADER;
        int left = AttentionOverlay.MARGIN;
        int right = 2 * AttentionOverlay.MARGIN + pw;
        assertTrue(image.getWidth() > 2 * pw && image.getHeight() > ph + top, image.getWidth() + "x" + image.getHeight());
        assertEquals(pw * ph, Pixels.find(image, new Color(230, 120, 20), 0).size(), "the left panel: the image, colours unchanged");
        assertArrayEquals(new int[] {230, 120, 20}, Pixels.rgb(image, left + 10, top + 10));

        // Right panel: (grey + viridis(heat)) / 2, so its only colour comes from the heat map.
        int grey = AttentionOverlay.grey(new Color(230, 120, 20).getRGB());
        int yellow = Viridis.rgb(1);
        assertArrayEquals(new int[] {(int) Math.round((grey + (yellow >> 16)) / 2.0), (int) Math.round((grey + ((yellow >> 8) & 0xff)) / 2.0),
                (int) Math.round((grey + (yellow & 0xff)) / 2.0)}, Pixels.rgb(image, right + pw - 1, top), "the hottest cell's corner");
        int purple = Viridis.rgb(0);
        assertArrayEquals(new int[] {(int) Math.round((grey + (purple >> 16)) / 2.0), (int) Math.round((grey + ((purple >> 8) & 0xff)) / 2.0),
                (int) Math.round((grey + (purple & 0xff)) / 2.0)}, Pixels.rgb(image, right, top), "the coldest cell's corner");
        int[] hot = Pixels.rgb(image, right + pw * 5 / 6, top + ph / 4);
        int[] mid = Pixels.rgb(image, right + pw / 2, top + ph * 3 / 4);
        assertTrue(mid[1] < hot[1], "a colder cell is less yellow: " + str(mid) + " vs " + str(hot));

        // The colour bar: viridis(1) at the top, viridis(0) at the bottom, right of both panels.
        int bar = 3 * AttentionOverlay.MARGIN + 2 * pw + AttentionOverlay.BAR_WIDTH / 2;
        assertEquals(yellow, image.getRGB(bar, top) & 0xffffff);
        assertEquals(purple, image.getRGB(bar, top + ph - 1) & 0xffffff);
        assertTrue(Pixels.find(image, Drawing.TEXT, 0).size() > 100, "a title and labels");
    }

    private static String str(int[] rgb) {
        return java.util.Arrays.toString(rgb);
    }
}
