package clip.plot;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Zero-shot classification at a glance: the image, and beside it a horizontal bar chart of its
 * five most probable classes on a fixed 0..1 axis (so a confident and a hesitant model look
 * different). Drawn directly: XChart 3.8 has no horizontal bar chart.
 */
public final class ZeroShotBars {
    public static final int TOP = 5;
    private static final int MARGIN = 16;
    private static final int LABELS = 150;
    private static final int BAR = 22;
    private static final int GAP = 14;
    private static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 14);
    private static final Font LABEL = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
    private static final Color GRID = new Color(0xdd, 0xdd, 0xdd);

    private final int imageSize;
    private final int axisWidth;

    /** @param imageSize the side of the image's square box; @param axisWidth pixels from probability 0 to 1 */
    public ZeroShotBars(int imageSize, int axisWidth) {
        this.imageSize = imageSize;
        this.axisWidth = axisWidth;
    }

    /** @param probabilities one per class (e.g. a softmax over all classes); the 5 highest are shown */
    public BufferedImage draw(BufferedImage image, List<String> classes, double[] probabilities) {
        if (classes.isEmpty() || classes.size() != probabilities.length) {
            throw new IllegalArgumentException(classes.size() + " classes but " + probabilities.length + " probabilities");
        }
        List<Ranked> top = Ranked.top(probabilities, TOP);
        int chartLeft = MARGIN + imageSize + 2 * MARGIN;
        int axisLeft = chartLeft + LABELS;
        int width = axisLeft + axisWidth + 56 + MARGIN;
        int barsTop = MARGIN + 28;
        int axisBottom = barsTop + TOP * (BAR + GAP);
        int height = Math.max(MARGIN + imageSize, axisBottom + 20) + MARGIN;
        BufferedImage out = Drawing.canvas(width, height);
        Graphics2D g = Drawing.graphics(out);
        Drawing.drawFitted(g, image, MARGIN, MARGIN, imageSize, imageSize);

        g.setFont(TITLE);
        g.setColor(Drawing.TEXT);
        g.drawString("zero-shot: top " + top.size() + " of " + classes.size() + " classes", chartLeft, MARGIN + 14);
        g.setFont(LABEL);
        FontMetrics fm = g.getFontMetrics();
        for (int t = 0; t <= 4; t++) {
            int x = axisLeft + axisWidth * t / 4;
            g.setColor(GRID);
            g.drawLine(x, barsTop - 4, x, axisBottom);
            g.setColor(Drawing.FAINT);
            String tick = String.valueOf(t / 4.0);
            g.drawString(tick, x - fm.stringWidth(tick) / 2, axisBottom + 4 + fm.getAscent());
        }
        for (int r = 0; r < top.size(); r++) {
            Ranked c = top.get(r);
            int y = barsTop + r * (BAR + GAP) + GAP / 2;
            int baseline = y + (BAR + fm.getAscent() - fm.getDescent()) / 2;
            g.setColor(Drawing.TEXT);
            String label = Drawing.fit(classes.get(c.index()), fm, LABELS - 8);
            g.drawString(label, axisLeft - 8 - fm.stringWidth(label), baseline);
            int length = (int) Math.round(axisWidth * Math.max(0, Math.min(1, c.score())));
            g.setColor(Drawing.ACCENT);
            g.fillRect(axisLeft, y, length, BAR);
            g.setColor(Drawing.FAINT);
            g.drawString(String.format(java.util.Locale.ROOT, "%.1f%%", 100 * c.score()), axisLeft + length + 6, baseline);
        }
        g.setColor(Drawing.TEXT);
        g.drawLine(axisLeft, barsTop - 4, axisLeft, axisBottom);
        g.dispose();
        return out;
    }

    public Path write(BufferedImage image, List<String> classes, double[] probabilities, Path png) throws IOException {
        return Drawing.writePng(draw(image, classes, probabilities), png);
    }
}
