package clip.plot;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

/** Pixel probes for the picture tests: solid test images and where a colour shows up. */
final class Pixels {
    private Pixels() {
    }

    static BufferedImage solid(Color c, int width, int height) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(c);
        g.fillRect(0, 0, width, height);
        g.dispose();
        return image;
    }

    /** Every pixel whose colour is within {@code tolerance} of {@code c} in each channel, as {x, y}. */
    static List<int[]> find(BufferedImage image, Color c, int tolerance) {
        List<int[]> hits = new ArrayList<>();
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int p = image.getRGB(x, y);
                if (Math.abs(((p >> 16) & 0xff) - c.getRed()) <= tolerance
                        && Math.abs(((p >> 8) & 0xff) - c.getGreen()) <= tolerance
                        && Math.abs((p & 0xff) - c.getBlue()) <= tolerance) {
                    hits.add(new int[] {x, y});
                }
            }
        }
        return hits;
    }

    /** The mean {x, y} of {@code pixels}. */
    static double[] centroid(List<int[]> pixels) {
        double x = 0;
        double y = 0;
        for (int[] p : pixels) {
            x += p[0];
            y += p[1];
        }
        return new double[] {x / pixels.size(), y / pixels.size()};
    }

    /** Horizontal runs of exactly colour {@code c}, as {y, xStart, length}, top to bottom, one per row at most (the longest). */
    static List<int[]> rowRuns(BufferedImage image, Color c) {
        List<int[]> runs = new ArrayList<>();
        int target = c.getRGB() & 0xffffff;
        for (int y = 0; y < image.getHeight(); y++) {
            int best = 0;
            int bestStart = -1;
            int x = 0;
            while (x < image.getWidth()) {
                if ((image.getRGB(x, y) & 0xffffff) == target) {
                    int start = x;
                    while (x < image.getWidth() && (image.getRGB(x, y) & 0xffffff) == target) {
                        x++;
                    }
                    if (x - start > best) {
                        best = x - start;
                        bestStart = start;
                    }
                } else {
                    x++;
                }
            }
            if (best > 0) {
                runs.add(new int[] {y, bestStart, best});
            }
        }
        return runs;
    }

    /** Bars as {top y, xStart, length}: consecutive rows of {@link #rowRuns} grouped into one bar each. */
    static List<int[]> bars(BufferedImage image, Color c) {
        List<int[]> bars = new ArrayList<>();
        int lastY = -2;
        for (int[] run : rowRuns(image, c)) {
            if (run[0] != lastY + 1) {
                bars.add(run);
            }
            lastY = run[0];
        }
        return bars;
    }

    static int[] rgb(BufferedImage image, int x, int y) {
        int p = image.getRGB(x, y);
        return new int[] {(p >> 16) & 0xff, (p >> 8) & 0xff, p & 0xff};
    }
}
