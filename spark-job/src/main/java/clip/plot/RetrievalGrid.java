package clip.plot;

import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.IntFunction;

/**
 * Text-to-image retrieval at a glance: a title naming the query caption's image, the query, then
 * the top-5 images left to right with their ids and scores. The right image is framed in
 * {@link Drawing#CORRECT}; when it is not among the five, a line says at which rank it was.
 */
public final class RetrievalGrid {
    public static final int TOP = 5;
    private static final int MARGIN = 16;
    private static final int FRAME = 4;
    private static final Font QUERY = new Font(Font.SANS_SERIF, Font.PLAIN, 15);
    private static final Font LABEL = new Font(Font.SANS_SERIF, Font.PLAIN, 13);

    private final int tile;

    /** @param tileSize the side of each image's square tile, in pixels */
    public RetrievalGrid(int tileSize) {
        this.tile = tileSize;
    }

    /**
     * @param scores  one score per candidate image (similarity to the query); the 5 highest are shown, best first
     * @param ids     each candidate's image id
     * @param correct the candidate the query caption belongs to
     * @param image   a candidate's pixels (only the shown ones are asked for)
     */
    public BufferedImage draw(String query, double[] scores, long[] ids, int correct, IntFunction<BufferedImage> image) {
        if (scores.length == 0 || scores.length != ids.length || correct < 0 || correct >= scores.length) {
            throw new IllegalArgumentException(scores.length + " scores, " + ids.length + " ids, correct " + correct);
        }
        List<Ranked> top = Ranked.top(scores, TOP);
        int width = MARGIN + TOP * (tile + MARGIN);
        int headerHeight = 24 + 2 * 20 + 8;
        int labelHeight = 2 * 17;
        int tileTop = MARGIN + headerHeight + FRAME;
        int footTop = tileTop + tile + FRAME + 6 + labelHeight;
        BufferedImage out = Drawing.canvas(width, footTop + 20 + MARGIN);
        Graphics2D g = Drawing.graphics(out);
        g.setFont(Drawing.TITLE);
        g.setColor(Drawing.TEXT);
        g.drawString(Drawing.fit("text \u2192 image: a caption of image " + ids[correct] + ", its " + top.size() + " nearest of "
                + scores.length + " images", g.getFontMetrics(), width - 2 * MARGIN), MARGIN, MARGIN + 15);
        g.setFont(QUERY);
        FontMetrics qm = g.getFontMetrics();
        int y = MARGIN + 24 + qm.getAscent();
        for (String line : Drawing.wrap("\u201c" + query + "\u201d", qm, width - 2 * MARGIN, 2)) {
            g.drawString(line, MARGIN, y);
            y += 20;
        }
        g.setFont(LABEL);
        FontMetrics lm = g.getFontMetrics();
        boolean found = false;
        for (int r = 0; r < top.size(); r++) {
            int x = MARGIN + r * (tile + MARGIN);
            int index = top.get(r).index();
            Drawing.drawFitted(g, image.apply(index), x, tileTop, tile, tile);
            boolean right = index == correct;
            found |= right;
            if (right) {
                Drawing.frame(g, Drawing.CORRECT, x, tileTop, tile, tile, FRAME);
            }
            int labelY = tileTop + tile + FRAME + 6 + lm.getAscent();
            g.setColor(right ? Drawing.CORRECT : Drawing.TEXT);
            g.drawString(Drawing.fit("#" + (r + 1) + "  image " + ids[index] + (right ? "  \u2713 right" : ""), lm, tile), x, labelY);
            g.setColor(Drawing.FAINT);
            g.drawString(Drawing.fit("score " + Drawing.score(top.get(r).score()), lm, tile), x, labelY + 17);
        }
        g.setFont(LABEL);
        if (found) {
            g.setColor(Drawing.CORRECT);
            g.drawString("framed: the image this caption belongs to", MARGIN, footTop + lm.getAscent());
        } else {
            g.setColor(Drawing.MISSED);
            g.drawString("the right image (" + ids[correct] + ", score " + Drawing.score(scores[correct]) + ") is at rank "
                    + Drawing.rank(scores, correct, i -> true) + ", not shown", MARGIN, footTop + lm.getAscent());
        }
        g.dispose();
        return out;
    }

    public Path write(String query, double[] scores, long[] ids, int correct, IntFunction<BufferedImage> image, Path png)
            throws IOException {
        return Drawing.writePng(draw(query, scores, ids, correct, image), png);
    }
}
