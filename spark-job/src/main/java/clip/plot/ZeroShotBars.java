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
 * different). The title names the image and its true class; the true class's bar is drawn in
 * {@link Drawing#CORRECT}, the others in {@link Drawing#ACCENT}, and a true class outside the
 * five gets a row of its own below them with its rank. Drawn directly: XChart 3.8 has no
 * horizontal bar chart.
 */
public final class ZeroShotBars {
    public static final int TOP = 5;
    private static final int MARGIN = 16;
    private static final int LABELS = 150;
    private static final int BAR = 22;
    private static final int GAP = 14;
    private static final Font HEADING = new Font(Font.SANS_SERIF, Font.BOLD, 14);
    private static final Font LABEL = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
    private static final Color GRID = new Color(0xdd, 0xdd, 0xdd);

    private final int imageSize;
    private final int axisWidth;

    /** @param imageSize the side of the image's square box; @param axisWidth pixels from probability 0 to 1 */
    public ZeroShotBars(int imageSize, int axisWidth) {
        this.imageSize = imageSize;
        this.axisWidth = axisWidth;
    }

    /**
     * @param probabilities one per class (e.g. a softmax over all classes); the 5 highest are shown
     * @param truth         the image's class, or -1 when it has none
     */
    public BufferedImage draw(long imageId, BufferedImage image, List<String> classes, double[] probabilities, int truth) {
        if (classes.isEmpty() || classes.size() != probabilities.length || truth >= classes.size()) {
            throw new IllegalArgumentException(classes.size() + " classes but " + probabilities.length + " probabilities, truth " + truth);
        }
        List<Ranked> top = new java.util.ArrayList<>(Ranked.top(probabilities, TOP));
        boolean truthShown = truth < 0 || top.stream().anyMatch(c -> c.index() == truth);
        if (!truthShown) {
            top.add(new Ranked(truth, probabilities[truth]));
        }
        int chartLeft = MARGIN + imageSize + 2 * MARGIN;
        int axisLeft = chartLeft + LABELS;
        int width = axisLeft + axisWidth + 56 + MARGIN;
        int barsTop = MARGIN + 28 + 28;
        int axisBottom = barsTop + top.size() * (BAR + GAP) + (truthShown ? 0 : GAP + 6);
        int height = Math.max(barsTop + imageSize, axisBottom + 20) + MARGIN;
        BufferedImage out = Drawing.canvas(width, height);
        Graphics2D g = Drawing.graphics(out);
        g.setFont(Drawing.TITLE);
        g.setColor(Drawing.TEXT);
        g.drawString("zero-shot: image " + imageId + ", true class " + (truth < 0 ? "unknown" : "\u201c" + classes.get(truth) + "\u201d"),
                MARGIN, MARGIN + 15);
        Drawing.drawFitted(g, image, MARGIN, barsTop, imageSize, imageSize);

        g.setFont(HEADING);
        g.setColor(Drawing.TEXT);
        g.drawString((classes.size() <= TOP ? "all " + classes.size() + " classes" : "the " + TOP + " most probable of " + classes.size() + " classes")
                + (truth < 0 ? "" : "; green: the true class"), chartLeft, barsTop - 14);
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
            boolean right = c.index() == truth;
            boolean extra = r == TOP;
            int y = barsTop + r * (BAR + GAP) + GAP / 2 + (extra ? GAP + 6 : 0);
            int baseline = y + (BAR + fm.getAscent() - fm.getDescent()) / 2;
            g.setColor(right ? Drawing.CORRECT : Drawing.TEXT);
            String label = Drawing.fit((extra ? "#" + Drawing.rank(probabilities, truth, i -> true) + " " : "")
                    + classes.get(c.index()) + (right ? " \u2713" : ""), fm, LABELS - 8);
            g.drawString(label, axisLeft - 8 - fm.stringWidth(label), baseline);
            int length = (int) Math.round(axisWidth * Math.max(0, Math.min(1, c.score())));
            g.setColor(right ? Drawing.CORRECT : Drawing.ACCENT);
            g.fillRect(axisLeft, y, length, BAR);
            g.setColor(Drawing.FAINT);
            g.drawString(String.format(java.util.Locale.ROOT, "%.1f%%", 100 * c.score()), axisLeft + length + 6, baseline);
        }
        if (!truthShown) {
            int y = barsTop + TOP * (BAR + GAP) + GAP / 2;
            g.setColor(Drawing.MISSED);
            g.drawString("the true class is not among the " + TOP + ":", chartLeft, y + fm.getAscent() - 2);
        }
        g.setColor(Drawing.TEXT);
        g.drawLine(axisLeft, barsTop - 4, axisLeft, axisBottom);
        g.dispose();
        return out;
    }

    public Path write(long imageId, BufferedImage image, List<String> classes, double[] probabilities, int truth, Path png)
            throws IOException {
        return Drawing.writePng(draw(imageId, image, classes, probabilities, truth), png);
    }
}
