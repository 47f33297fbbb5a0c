package clip.data;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.List;

/**
 * One synthetic image: a coloured shape of a given size at a given place on a light
 * background, and the captions that describe exactly that. Everything a caption says is
 * visible, so the pairs are learnable.
 */
public record ShapeScene(String shape, String colour, String size, String place) {
    static final List<String> SHAPES = List.of("circle", "square", "triangle", "diamond");
    static final List<String> COLOURS = List.of("red", "green", "blue", "yellow", "purple", "orange");
    static final List<String> SIZES = List.of("small", "large");
    static final List<String> PLACES = List.of("top left", "top right", "bottom left", "bottom right", "center");
    private static final Color[] RGB = {
        new Color(220, 40, 40), new Color(40, 170, 60), new Color(40, 80, 220),
        new Color(235, 210, 40), new Color(140, 50, 170), new Color(245, 140, 30),
    };

    /** Five paraphrases, as COCO has five captions per image. */
    public List<String> captions() {
        return List.of(
                "a " + size + " " + colour + " " + shape + " in the " + place,
                "a " + colour + " " + shape + " at the " + place + " of the picture",
                "there is a " + size + " " + shape + " coloured " + colour + " in the " + place,
                "the " + place + " shows a " + colour + " " + shape,
                "a picture of a " + size + " " + colour + " " + shape);
    }

    /** The category label used for zero-shot classification. */
    public String category() {
        return shape;
    }

    public BufferedImage render(int px) {
        return render(px, px);
    }

    /** The scene on a {@code width} x {@code height} canvas; size and place are relative to the shorter side and the canvas. */
    public BufferedImage render(int width, int height) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(new Color(245, 245, 240));
        g.fillRect(0, 0, width, height);
        g.setColor(RGB[COLOURS.indexOf(colour)]);
        int[] box = boundingBox(width, height);
        int x = box[0];
        int y = box[1];
        int d = box[2];
        int cx = x + d / 2;
        int cy = y + d / 2;
        switch (shape) {
            case "circle" -> g.fillOval(x, y, d, d);
            case "square" -> g.fillRect(x, y, d, d);
            case "triangle" -> g.fillPolygon(new int[] {cx, x + d, x}, new int[] {y, y + d, y + d}, 3);
            case "diamond" -> g.fillPolygon(new int[] {cx, x + d, cx, x}, new int[] {y, cy, y + d, cy}, 4);
            default -> throw new IllegalStateException(shape);
        }
        g.dispose();
        return img;
    }

    /** The shape's bounding box on a {@code width} x {@code height} canvas, COCO style: x, y, w, h. */
    public int[] boundingBox(int width, int height) {
        int shorter = Math.min(width, height);
        int d = size.equals("large") ? shorter / 2 : shorter / 4;
        int cx = place.endsWith("left") ? width / 4 : place.endsWith("right") ? 3 * width / 4 : width / 2;
        int cy = place.startsWith("top") ? height / 4 : place.startsWith("bottom") ? 3 * height / 4 : height / 2;
        return new int[] {cx - d / 2, cy - d / 2, d, d};
    }
}
