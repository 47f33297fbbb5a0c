package clip.plot;

import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Image-to-text retrieval at a glance: a title with the image's id, the image on the left, its
 * top-5 captions on the right, best first, each with its score and a bar. The image's own
 * captions are ticked and their bars drawn in {@link Drawing#CORRECT}, the others' in
 * {@link Drawing#ACCENT}. Scores of the top five are often within a few thousandths of each
 * other, so the bars start at a floor below the lowest shown score rather than at 0 (an axis
 * under them gives the two ends); otherwise all would look the same length.
 */
public final class CaptionRanking {
    public static final int TOP = 5;
    private static final int MARGIN = 16;
    private static final int HEADER = 32;
    private static final int ROW = 64;
    private static final int BAR = 8;
    private static final Font CAPTION = new Font(Font.SANS_SERIF, Font.PLAIN, 14);
    private static final Font RANK = new Font(Font.SANS_SERIF, Font.BOLD, 14);
    private static final Font AXIS = new Font(Font.SANS_SERIF, Font.PLAIN, 12);

    private final int imageSize;
    private final int textWidth;

    /** @param imageSize the side of the image's square box; @param textWidth the width of the caption column */
    public CaptionRanking(int imageSize, int textWidth) {
        this.imageSize = imageSize;
        this.textWidth = textWidth;
    }

    /** Where bars start: below the lowest shown score by a third of the shown range, so the lowest bar is still visible. */
    static double floor(double lowest, double best) {
        return best > lowest ? lowest - (best - lowest) / 3 : lowest - Math.max(Math.abs(best), 1e-6);
    }

    /**
     * @param scores one per caption (similarity to the image); the 5 highest are shown
     * @param own    for each caption, whether it is one of this image's
     */
    public BufferedImage draw(long imageId, BufferedImage image, List<String> captions, double[] scores, boolean[] own) {
        if (captions.isEmpty() || captions.size() != scores.length || own.length != scores.length) {
            throw new IllegalArgumentException(captions.size() + " captions, " + scores.length + " scores, " + own.length + " flags");
        }
        List<Ranked> top = Ranked.top(scores, TOP);
        int bodyTop = MARGIN + HEADER;
        int axisY = bodyTop + TOP * ROW;
        int height = Math.max(bodyTop + imageSize, axisY + 40) + MARGIN;
        BufferedImage out = Drawing.canvas(MARGIN + imageSize + 2 * MARGIN + textWidth + MARGIN, height);
        Graphics2D g = Drawing.graphics(out);
        g.setFont(Drawing.TITLE);
        g.setColor(Drawing.TEXT);
        g.drawString("image \u2192 text: image " + imageId + ", its " + top.size() + " nearest of " + captions.size() + " captions",
                MARGIN, MARGIN + 15);
        Drawing.drawFitted(g, image, MARGIN, bodyTop, imageSize, imageSize);
        int x = MARGIN + imageSize + 2 * MARGIN;
        int rankWidth = 28;
        int barLeft = x + rankWidth;
        int barWidth = textWidth - rankWidth - 64;
        double best = top.get(0).score();
        double floor = floor(top.get(top.size() - 1).score(), best);
        boolean found = false;
        for (int r = 0; r < top.size(); r++) {
            Ranked c = top.get(r);
            boolean right = own[c.index()];
            found |= right;
            int y = bodyTop + r * ROW;
            g.setFont(RANK);
            g.setColor(right ? Drawing.CORRECT : Drawing.TEXT);
            g.drawString((r + 1) + (right ? "\u2713" : "."), x, y + 16);
            g.setFont(CAPTION);
            g.setColor(Drawing.TEXT);
            FontMetrics fm = g.getFontMetrics();
            List<String> lines = Drawing.wrap(captions.get(c.index()), fm, textWidth - rankWidth, 2);
            for (int l = 0; l < lines.size(); l++) {
                g.drawString(lines.get(l), barLeft, y + 16 + 18 * l);
            }
            int barY = y + 16 + 18 + 8;
            int length = (int) Math.round(barWidth * (c.score() - floor) / (best - floor));
            g.setColor(right ? Drawing.CORRECT : Drawing.ACCENT);
            g.fillRect(barLeft, barY, length, BAR);
            g.setColor(Drawing.FAINT);
            g.drawString(Drawing.score(c.score()), barLeft + length + 6, barY + BAR);
        }
        g.setFont(AXIS);
        FontMetrics am = g.getFontMetrics();
        g.setColor(Drawing.FAINT);
        g.drawLine(barLeft, axisY, barLeft + barWidth, axisY);
        g.drawLine(barLeft, axisY - 3, barLeft, axisY + 3);
        g.drawLine(barLeft + barWidth, axisY - 3, barLeft + barWidth, axisY + 3);
        g.drawString("score " + Drawing.score(floor), barLeft, axisY + 4 + am.getAscent());
        String end = Drawing.score(best);
        g.drawString(end, barLeft + barWidth - am.stringWidth(end), axisY + 4 + am.getAscent());
        int noteY = axisY + 4 + am.getAscent() + 16;
        if (found) {
            g.setColor(Drawing.CORRECT);
            g.drawString("\u2713 green: a caption of this image", barLeft, noteY);
        } else {
            int bestOwn = -1;
            for (int i = 0; i < own.length; i++) {
                if (own[i] && (bestOwn < 0 || scores[i] > scores[bestOwn])) {
                    bestOwn = i;
                }
            }
            g.setColor(Drawing.MISSED);
            g.drawString(bestOwn < 0 ? "this image has no caption" : "its best caption is at rank "
                    + Drawing.rank(scores, bestOwn, i -> !own[i]) + " (score " + Drawing.score(scores[bestOwn]) + "), not shown",
                    barLeft, noteY);
        }
        g.dispose();
        return out;
    }

    public Path write(long imageId, BufferedImage image, List<String> captions, double[] scores, boolean[] own, Path png)
            throws IOException {
        return Drawing.writePng(draw(imageId, image, captions, scores, own), png);
    }
}
