package clip.plot;

import java.awt.Color;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;

/** The drawing steps every picture of this package shares: a white canvas, fitted images and text, PNG output. */
final class Drawing {
    static final Color TEXT = new Color(0x22, 0x22, 0x22);
    static final Color FAINT = new Color(0x77, 0x77, 0x77);
    /** Bars and lines of the pictures; tests find them by this exact colour. */
    static final Color ACCENT = new Color(31, 119, 180);
    /** What is right (the query's image, an image's own captions, its true class); tests find it by this exact colour. */
    static final Color CORRECT = new Color(44, 160, 44);
    /** A note that the right answer is missing from what is shown. */
    static final Color MISSED = new Color(214, 39, 40);
    static final java.awt.Font TITLE = new java.awt.Font(java.awt.Font.SANS_SERIF, java.awt.Font.BOLD, 15);

    private Drawing() {
    }

    static BufferedImage canvas(int width, int height) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.dispose();
        return image;
    }

    /** Antialiased text but not shapes, so bars and tiles keep exact colours and crisp edges. */
    static Graphics2D graphics(BufferedImage image) {
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
        return g;
    }

    /** Draws {@code image} as large as fits in the box, keeping its aspect ratio, centred. */
    static void drawFitted(Graphics2D g, BufferedImage image, int x, int y, int width, int height) {
        double scale = Math.min((double) width / image.getWidth(), (double) height / image.getHeight());
        int w = Math.max(1, (int) Math.round(image.getWidth() * scale));
        int h = Math.max(1, (int) Math.round(image.getHeight() * scale));
        g.drawImage(image, x + (width - w) / 2, y + (height - h) / 2, w, h, null);
    }

    /** {@code text} cut with an ellipsis to fit {@code width} pixels. */
    static String fit(String text, FontMetrics fm, int width) {
        if (fm.stringWidth(text) <= width) {
            return text;
        }
        String ellipsis = "\u2026";
        int end = text.length();
        while (end > 0 && fm.stringWidth(text.substring(0, end) + ellipsis) > width) {
            end--;
        }
        return text.substring(0, end) + ellipsis;
    }

    /** Word-wraps {@code text} into at most {@code maxLines} lines of {@code width} pixels, the last cut if needed. */
    static List<String> wrap(String text, FontMetrics fm, int width, int maxLines) {
        List<String> lines = new ArrayList<>();
        String[] words = text.trim().split("\\s+");
        StringBuilder line = new StringBuilder();
        int i = 0;
        while (i < words.length && lines.size() < maxLines - 1) {
            String candidate = line.length() == 0 ? words[i] : line + " " + words[i];
            if (fm.stringWidth(candidate) <= width || line.length() == 0) {
                line.setLength(0);
                line.append(candidate);
                i++;
            } else {
                lines.add(fit(line.toString(), fm, width));
                line.setLength(0);
            }
        }
        StringBuilder rest = new StringBuilder(line);
        for (; i < words.length; i++) {
            rest.append(rest.length() == 0 ? "" : " ").append(words[i]);
        }
        if (rest.length() > 0 || lines.isEmpty()) {
            lines.add(fit(rest.toString(), fm, width));
        }
        return lines;
    }

    /** A frame {@code thickness} pixels wide just outside the box. */
    static void frame(Graphics2D g, Color c, int x, int y, int width, int height, int thickness) {
        g.setColor(c);
        g.fillRect(x - thickness, y - thickness, width + 2 * thickness, thickness);
        g.fillRect(x - thickness, y + height, width + 2 * thickness, thickness);
        g.fillRect(x - thickness, y, thickness, height);
        g.fillRect(x + width, y, thickness, height);
    }

    /** The 1-based rank of {@code target} among {@code scores}, counting every other entry that scores at least as high (the metrics' rule). */
    static int rank(double[] scores, int target, java.util.function.IntPredicate competes) {
        int rank = 1;
        for (int i = 0; i < scores.length; i++) {
            if (i != target && competes.test(i) && scores[i] >= scores[target]) {
                rank++;
            }
        }
        return rank;
    }

    static String score(double s) {
        return String.format(java.util.Locale.ROOT, "%.3f", s);
    }

    static Path writePng(BufferedImage image, Path png) throws IOException {
        Path parent = png.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        if (!ImageIO.write(image, "png", png.toFile())) {
            throw new IOException("no PNG writer in this JVM for " + png);
        }
        return png;
    }
}
