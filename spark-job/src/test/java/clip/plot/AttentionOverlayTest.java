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
    void hotPatchesTurnYellowAndColdPatchesPurpleOverTheImage() throws Exception {
        BufferedImage grey = Pixels.solid(new Color(128, 128, 128), 96, 64);
        double[][] map = {{0, 0.2, 1}, {0.5, 0, 0.4}};
        Path png = new AttentionOverlay(0.5).write(grey, map, tmp.resolve("overlay.png"));

        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(96, image.getWidth());
        assertEquals(64, image.getHeight());
        int[] hot = Pixels.rgb(image, 80, 16);
        int[] cold = Pixels.rgb(image, 16, 16);
        assertTrue(hot[0] + hot[1] > cold[0] + cold[1] + 150, "hot is brighter red+green: " + str(hot) + " vs " + str(cold));
        assertTrue(hot[2] < cold[2] - 20, "cold is bluer: " + str(hot) + " vs " + str(cold));
        // Away from cell edges a cell keeps its exact colour: (128 + viridis(1)) / 2 at the hottest cell's centre.
        int yellow = Viridis.rgb(1);
        assertArrayEquals(new int[] {(int) Math.round((128 + (yellow >> 16)) / 2.0),
                (int) Math.round((128 + ((yellow >> 8) & 0xff)) / 2.0), (int) Math.round((128 + (yellow & 0xff)) / 2.0)},
                Pixels.rgb(image, 95, 0), "the corner of the hottest cell");
        int[] mid = Pixels.rgb(image, 48, 48);
        assertTrue(mid[1] < hot[1], "a colder cell is less yellow: " + str(mid));
    }

    private static String str(int[] rgb) {
        return java.util.Arrays.toString(rgb);
    }
}
