package clip.plot;

import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Text-to-image retrieval at a glance: the query, then its top-5 images left to right, each with its score. */
public final class RetrievalGrid {
    public static final int TOP = 5;
    private static final int MARGIN = 16;
    private static final Font QUERY = new Font(Font.SANS_SERIF, Font.BOLD, 16);
    private static final Font LABEL = new Font(Font.SANS_SERIF, Font.PLAIN, 13);

    private final int tile;

    /** @param tileSize the side of each image's square tile, in pixels */
    public RetrievalGrid(int tileSize) {
        this.tile = tileSize;
    }

    /**
     * @param images candidate images, any number (at least one)
     * @param scores one score per image (similarity to the query); the 5 highest are shown, best first
     */
    public BufferedImage draw(String query, List<BufferedImage> images, double[] scores) {
        if (images.isEmpty() || images.size() != scores.length) {
            throw new IllegalArgumentException(images.size() + " images but " + scores.length + " scores");
        }
        List<Ranked> top = Ranked.top(scores, TOP);
        int width = MARGIN + TOP * (tile + MARGIN);
        int headerHeight = 2 * 20 + MARGIN;
        int labelHeight = 2 * 17;
        BufferedImage out = Drawing.canvas(width, MARGIN + headerHeight + tile + 6 + labelHeight + MARGIN);
        Graphics2D g = Drawing.graphics(out);
        g.setFont(QUERY);
        g.setColor(Drawing.TEXT);
        FontMetrics qm = g.getFontMetrics();
        int y = MARGIN + qm.getAscent();
        for (String line : Drawing.wrap("query: \u201c" + query + "\u201d", qm, width - 2 * MARGIN, 2)) {
            g.drawString(line, MARGIN, y);
            y += 20;
        }
        int tileTop = MARGIN + headerHeight;
        g.setFont(LABEL);
        FontMetrics lm = g.getFontMetrics();
        for (int r = 0; r < top.size(); r++) {
            int x = MARGIN + r * (tile + MARGIN);
            Drawing.drawFitted(g, images.get(top.get(r).index()), x, tileTop, tile, tile);
            g.setColor(Drawing.TEXT);
            String rank = "#" + (r + 1);
            g.drawString(rank, x, tileTop + tile + 6 + lm.getAscent());
            g.setColor(Drawing.FAINT);
            String score = "score " + Drawing.score(top.get(r).score());
            g.drawString(Drawing.fit(score, lm, tile), x, tileTop + tile + 6 + 17 + lm.getAscent());
        }
        g.dispose();
        return out;
    }

    public Path write(String query, List<BufferedImage> images, double[] scores, Path png) throws IOException {
        return Drawing.writePng(draw(query, images, scores), png);
    }
}
