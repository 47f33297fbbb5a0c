package clip.data.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Against PIL's Image.resize(BICUBIC) on lossless photo-like sources (make_fixtures.py). Tolerance: none. The
 * resampler follows Pillow's arithmetic (double-precision weights in the same order, 22-bit fixed point, 8-bit
 * intermediate), so the bytes are PIL's; any difference means a wrong window, weight or rounding.
 */
class ImageResizerTest {
    @ParameterizedTest(name = "{0} to shorter side {1}")
    @CsvSource({
            "resize_land, 40, 53, 40", // 96x72 shrunk by 1.8: the antialiasing (widened kernel) path
            "resize_port, 33, 33, 49", // 45x67 portrait: 33 * 67 / 45 = 49.13, truncated as torchvision does
            "resize_up,   60, 80, 60", // 64x48 enlarged
    })
    void matchesPilBicubic(String source, int size, int outW, int outH) throws ImageDecodeException {
        BufferedImage src = new ImageDecoder().decode(Fixtures.bytes(source + ".png")).rgb();

        BufferedImage out = ImageResizer.shorterSide(src, size);

        assertEquals(outW, out.getWidth());
        assertEquals(outH, out.getHeight());
        assertEquals(BufferedImage.TYPE_3BYTE_BGR, out.getType());
        assertArrayEquals(Fixtures.bytes(source + "_" + size + ".rgb"), Fixtures.rgbBytes(out));
    }

    @ParameterizedTest(name = "to {0}x{1}")
    @CsvSource({"96, 40", "53, 72"})
    void oneAxisOnlyMatchesPilToo(int outW, int outH) throws ImageDecodeException {
        BufferedImage src = new ImageDecoder().decode(Fixtures.bytes("resize_land.png")).rgb();
        BufferedImage out = ImageResizer.resize(src, outW, outH);
        assertArrayEquals(Fixtures.bytes("resize_land_" + outW + "x" + outH + ".rgb"), Fixtures.rgbBytes(out));
    }

    @Test
    void theOutputSizeFollowsTheShorterSide() {
        assertSize(640, 480, 256, 341, 256);
        assertSize(480, 640, 256, 256, 341);
        assertSize(500, 500, 256, 256, 256);
        assertSize(640, 427, 256, 383, 256); // 383.7: truncated, not rounded
        assertSize(4000, 3, 2, 2666, 2);
        assertSize(3000, 1, 1, 3000, 1);
    }

    @Test
    void anImageAlreadyAtSizeIsReturnedAsIs() throws ImageDecodeException {
        BufferedImage src = new ImageDecoder().decode(Fixtures.bytes("rgb_baseline.jpg")).rgb();
        assertSame(src, ImageResizer.shorterSide(src, 48));
    }

    @Test
    void otherImageTypesAreResizedLikeTheirBgrCopy() throws ImageDecodeException {
        BufferedImage bgr = new ImageDecoder().decode(Fixtures.bytes("resize_land.png")).rgb();
        BufferedImage intRgb = new BufferedImage(bgr.getWidth(), bgr.getHeight(), BufferedImage.TYPE_INT_ARGB);
        intRgb.createGraphics().drawImage(bgr, 0, 0, null);
        assertArrayEquals(Fixtures.rgbBytes(ImageResizer.shorterSide(bgr, 40)),
                Fixtures.rgbBytes(ImageResizer.shorterSide(intRgb, 40)));
    }

    private static void assertSize(int w, int h, int size, int outW, int outH) {
        BufferedImage out = ImageResizer.shorterSide(new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR), size);
        assertEquals(outW + "x" + outH, out.getWidth() + "x" + out.getHeight(), w + "x" + h + " to " + size);
    }
}
