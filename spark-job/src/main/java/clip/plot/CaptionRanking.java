package clip.plot;

import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Image-to-text retrieval at a glance: the image on the left, its top-5 captions on the right, best
 * first, each with its score and a bar whose length is the score relative to the best one.
 */
public final class CaptionRanking {
    public static final int TOP = 5;
    private static final int MARGIN = 16;
    private static final int ROW = 64;
    private static final int BAR = 8;
    private static final Font CAPTION = new Font(Font.SANS_SERIF, Font.PLAIN, 14);
    private static final Font RANK = new Font(Font.SANS_SERIF, Font.BOLD, 14);

    private final int imageSize;
    private final int textWidth;

    /** @param imageSize the side of the image's square box; @param textWidth the width of the caption column */
    public CaptionRanking(int imageSize, int textWidth) {
        this.imageSize = imageSize;
        this.textWidth = textWidth;
    }

    /** @param scores one per caption (similarity to the image); the 5 highest are shown. Negative scores get no bar. */
    public BufferedImage draw(BufferedImage image, List<String> captions, double[] scores) {
        if (captions.isEmpty() || captions.size() != scores.length) {
            throw new IllegalArgumentException(captions.size() + " captions but " + scores.length + " scores");
        }
        List<Ranked> top = Ranked.top(scores, TOP);
        int height = Math.max(imageSize, TOP * ROW) + 2 * MARGIN;
        BufferedImage out = Drawing.canvas(MARGIN + imageSize + 2 * MARGIN + textWidth + MARGIN, height);
        Graphics2D g = Drawing.graphics(out);
        Drawing.drawFitted(g, image, MARGIN, MARGIN, imageSize, imageSize);
        int x = MARGIN + imageSize + 2 * MARGIN;
        int rankWidth = 28;
        int barWidth = textWidth - rankWidth - 64;
        double best = top.get(0).score();
        for (int r = 0; r < top.size(); r++) {
            Ranked c = top.get(r);
            int y = MARGIN + r * ROW;
            g.setFont(RANK);
            g.setColor(Drawing.TEXT);
            g.drawString((r + 1) + ".", x, y + 16);
            g.setFont(CAPTION);
            FontMetrics fm = g.getFontMetrics();
            List<String> lines = Drawing.wrap(captions.get(c.index()), fm, textWidth - rankWidth, 2);
            for (int l = 0; l < lines.size(); l++) {
                g.drawString(lines.get(l), x + rankWidth, y + 16 + 18 * l);
            }
            int barY = y + 16 + 18 + 8;
            int length = best > 0 && c.score() > 0 ? (int) Math.round(barWidth * c.score() / best) : 0;
            g.setColor(Drawing.ACCENT);
            g.fillRect(x + rankWidth, barY, length, BAR);
            g.setColor(Drawing.FAINT);
            g.drawString(Drawing.score(c.score()), x + rankWidth + length + 6, barY + BAR);
        }
        g.dispose();
        return out;
    }

    public Path write(BufferedImage image, List<String> captions, double[] scores, Path png) throws IOException {
        return Drawing.writePng(draw(image, captions, scores), png);
    }
}
