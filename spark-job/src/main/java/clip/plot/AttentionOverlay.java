package clip.plot;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Where a ViT looked, as one picture: a title, the image as it is and, beside it at the same
 * size, a greyscale copy of it under the patch-grid map (e.g. an attention rollout, values in
 * [0, 1]) upsampled bilinearly and blended in {@link Viridis} colours, then a colour bar from 0
 * to 1. The heat is drawn over grey so that its colours cannot be confused with the image's own,
 * which the left panel keeps unchanged. Images are scaled so their longer side is {@link #PANEL}
 * pixels (a ViT's input is often a thumbnail of 120x160 or less).
 */
public final class AttentionOverlay {
    /** The longer side of each of the two panels, in pixels. */
    public static final int PANEL = 384;
    public static final int MARGIN = 16;
    /** The height of the title band above the panels. */
    public static final int HEADER = 40;
    public static final int BAR_WIDTH = 18;
    private static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 15);
    private static final Font LABEL = new Font(Font.SANS_SERIF, Font.PLAIN, 12);

    private final double alpha;

    /** @param alpha weight of the heat map against the greyscale image, in [0, 1] */
    public AttentionOverlay(double alpha) {
        if (!(alpha >= 0 && alpha <= 1)) {
            throw new IllegalArgumentException("alpha must be in [0, 1], got " + alpha);
        }
        this.alpha = alpha;
    }

    /** The size each panel shows the image at: longer side {@link #PANEL}, aspect ratio kept. */
    public static int[] panelSize(BufferedImage image) {
        double scale = (double) PANEL / Math.max(image.getWidth(), image.getHeight());
        return new int[] {Math.max(1, (int) Math.round(image.getWidth() * scale)), Math.max(1, (int) Math.round(image.getHeight() * scale))};
    }

    /**
     * @param title what the map is of (shown above the panels)
     * @param map   [gridHeight][gridWidth] in [0, 1], row-major over the image as the patches are
     */
    public BufferedImage draw(String title, BufferedImage image, double[][] map) {
        int[] size = panelSize(image);
        int pw = size[0];
        int ph = size[1];
        BufferedImage scaled = Drawing.canvas(pw, ph);
        Graphics2D sg = Drawing.graphics(scaled);
        sg.drawImage(image, 0, 0, pw, ph, null);
        sg.dispose();
        double[][] heat = upsample(map, pw, ph);
        BufferedImage overlay = new BufferedImage(pw, ph, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < ph; y++) {
            for (int x = 0; x < pw; x++) {
                int grey = grey(scaled.getRGB(x, y));
                int h = Viridis.rgb(heat[y][x]);
                int rgb = 0;
                for (int shift = 16; shift >= 0; shift -= 8) {
                    rgb |= (int) Math.round((1 - alpha) * grey + alpha * ((h >> shift) & 0xff)) << shift;
                }
                overlay.setRGB(x, y, rgb);
            }
        }
        int barLeft = 3 * MARGIN + 2 * pw;
        BufferedImage out = Drawing.canvas(barLeft + BAR_WIDTH + 44 + MARGIN, HEADER + ph + 24 + MARGIN);
        Graphics2D g = Drawing.graphics(out);
        g.setFont(TITLE);
        g.setColor(Drawing.TEXT);
        g.drawString(Drawing.fit(title, g.getFontMetrics(), out.getWidth() - 2 * MARGIN), MARGIN, MARGIN + 15);
        g.drawImage(scaled, MARGIN, HEADER, null);
        g.drawImage(overlay, 2 * MARGIN + pw, HEADER, null);
        for (int y = 0; y < ph; y++) {
            g.setColor(new Color(Viridis.rgb(1 - (double) y / (ph - 1))));
            g.fillRect(barLeft, HEADER + y, BAR_WIDTH, 1);
        }
        g.setFont(LABEL);
        FontMetrics fm = g.getFontMetrics();
        g.setColor(Drawing.TEXT);
        g.drawString("1 (most)", barLeft + BAR_WIDTH + 4, HEADER + fm.getAscent());
        g.drawString("0", barLeft + BAR_WIDTH + 4, HEADER + ph);
        g.setColor(Drawing.FAINT);
        g.drawString("the image", MARGIN, HEADER + ph + 4 + fm.getAscent());
        g.drawString("attention (" + Math.round(100 * alpha) + "% heat over a greyscale copy)", 2 * MARGIN + pw,
                HEADER + ph + 4 + fm.getAscent());
        g.dispose();
        return out;
    }

    public Path write(String title, BufferedImage image, double[][] map, Path png) throws IOException {
        return Drawing.writePng(draw(title, image, map), png);
    }

    /** Rec. 601 luma, as PIL's convert("L"). */
    static int grey(int rgb) {
        return (int) Math.round(0.299 * ((rgb >> 16) & 0xff) + 0.587 * ((rgb >> 8) & 0xff) + 0.114 * (rgb & 0xff));
    }

    /**
     * Bilinear resize of a grid to [height][width]. Cells and pixels are aligned by their centres
     * (a cell's value sits at its centre); beyond the outer centres the edge value holds.
     */
    public static double[][] upsample(double[][] map, int width, int height) {
        int gh = map.length;
        int gw = map[0].length;
        double[][] out = new double[height][width];
        for (int y = 0; y < height; y++) {
            double v = clamp((y + 0.5) * gh / height - 0.5, gh - 1);
            int r0 = (int) v;
            int r1 = Math.min(r0 + 1, gh - 1);
            double fy = v - r0;
            for (int x = 0; x < width; x++) {
                double u = clamp((x + 0.5) * gw / width - 0.5, gw - 1);
                int c0 = (int) u;
                int c1 = Math.min(c0 + 1, gw - 1);
                double fx = u - c0;
                double top = map[r0][c0] + fx * (map[r0][c1] - map[r0][c0]);
                double bottom = map[r1][c0] + fx * (map[r1][c1] - map[r1][c0]);
                out[y][x] = top + fy * (bottom - top);
            }
        }
        return out;
    }

    private static double clamp(double x, int max) {
        return Math.max(0, Math.min(max, x));
    }
}
