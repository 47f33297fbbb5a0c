package clip.data.image;

import java.awt.image.BufferedImage;

/**
 * A decoded image. {@code rgb} is always {@link BufferedImage#TYPE_3BYTE_BGR} (the JDK's JPEG writer takes that type
 * fastest, and it is one byte per channel like PIL's "RGB"), alpha dropped, EXIF orientation already applied.
 * {@code storedWidth}/{@code storedHeight}: the pixel size as stored in the file BEFORE orientation (what PIL's
 * Image.size reports, and what COCO's JSON width/height record). {@code orientation}: EXIF tag value 1..8 (1 when
 * absent or not one of 1..8).
 */
public record DecodedImage(BufferedImage rgb, ImageFormat format, int storedWidth, int storedHeight, int orientation) {
}
