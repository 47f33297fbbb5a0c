package clip.data.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Decoded pixels against PIL's (ImageOps.exif_transpose(Image.open(f)).convert("RGB"), stored by make_fixtures.py).
 *
 * <p>Tolerance: none, every byte must match. JPEG decoders in general differ by a few levels, but PIL's
 * libjpeg-turbo and the JDK's libjpeg (IJG 6b bundled in Temurin, libjpeg62-turbo in Debian's OpenJDK; both were
 * checked) share the ISLOW integer IDCT and the "fancy" chroma upsampling, and JpegColor reproduces libjpeg's
 * fixed-point colour conversion and PIL's CMYK formula, so the results are identical. A difference is a real
 * departure from PIL (a wrong colour space, upsampling or orientation), not noise.
 */
class ImageDecoderTest {
    private final ImageDecoder decoder = new ImageDecoder();

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            // file, format, stored w, h, orientation
            "rgb_baseline.jpg,     JPEG, 64, 48, 1",
            "rgb_progressive.jpg,  JPEG, 64, 48, 1",
            "rgb_444.jpg,          JPEG, 64, 48, 1",
            "gray.jpg,             JPEG, 64, 48, 1",
            "cmyk.jpg,             JPEG, 64, 48, 1",
            "ycck.jpg,             JPEG, 64, 48, 1",
            "no_jfif.jpg,          JPEG, 64, 48, 1", // YCbCr read raw and converted in Java (the non-JFIF path)
            "icc_swapped.jpg,      JPEG, 64, 48, 1", // embedded profile ignored, as PIL ignores it
            "adobe_rgb.jpg,        JPEG, 64, 48, 1", // Adobe transform 0: components stored as R,G,B
            "exif_orient_1.jpg,    JPEG, 64, 48, 1",
            "exif_orient_2.jpg,    JPEG, 64, 48, 2",
            "exif_orient_3.jpg,    JPEG, 64, 48, 3",
            "exif_orient_4.jpg,    JPEG, 64, 48, 4",
            "exif_orient_5.jpg,    JPEG, 64, 48, 5",
            "exif_orient_6.jpg,    JPEG, 64, 48, 6",
            "exif_orient_7.jpg,    JPEG, 64, 48, 7",
            "exif_orient_8.jpg,    JPEG, 64, 48, 8",
            "exif_orient_6_le.jpg, JPEG, 64, 48, 6",
            "png_as.jpg,           PNG,  64, 48, 1",
            "palette_alpha.png,    PNG,  64, 48, 1",
            "rgba.png,             PNG,  64, 48, 1",
            "gray.png,             PNG,  64, 48, 1",
            "image.gif,            GIF,  64, 48, 1",
            "image.bmp,            BMP,  64, 48, 1",
            "image.tiff,           TIFF, 64, 48, 1",
    })
    void decodesAsPilDoes(String file, ImageFormat format, int storedW, int storedH, int orientation)
            throws ImageDecodeException {
        DecodedImage image = decoder.decode(Fixtures.bytes(file));

        assertEquals(format, image.format());
        assertEquals(storedW, image.storedWidth());
        assertEquals(storedH, image.storedHeight());
        assertEquals(orientation, image.orientation());
        BufferedImage rgb = image.rgb();
        assertEquals(BufferedImage.TYPE_3BYTE_BGR, rgb.getType());
        boolean turned = orientation >= 5;
        assertEquals(turned ? storedH : storedW, rgb.getWidth(), "width after orientation");
        assertEquals(turned ? storedW : storedH, rgb.getHeight(), "height after orientation");
        assertArrayEquals(Fixtures.bytes(file + ".rgb"), Fixtures.rgbBytes(rgb), file + ": pixels differ from PIL's");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "empty.jpg                 | zero-byte file",
            "truncated.jpg             | truncated JPEG (premature end of data)",
            "truncated_progressive.jpg | truncated JPEG (premature end of data)",
            "garbage.jpg               | not an image (unknown format)",
            "no_frame.jpg              | corrupt JPEG (no frame header)",
            "image.webp                | unsupported image format (WEBP)",
    })
    void refusesBrokenFilesWithAReason(String file, String reason) {
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> decoder.decode(Fixtures.bytes(file)));
        assertEquals(reason, e.getMessage());
    }

    @Test
    void theIccFixtureWouldFailADecoderThatColourManages() throws Exception {
        // Control for icc_swapped.jpg above: stock ImageIO applies the profile (red and green trade places), so
        // the fixture does tell a colour-managing decoder from PIL's behaviour.
        BufferedImage managed = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(
                Fixtures.bytes("icc_swapped.jpg")));
        double mean = Fixtures.meanAbsDiff(Fixtures.bytes("icc_swapped.jpg.rgb"), Fixtures.rgbBytes(managed));
        assertTrue(mean > 20, "stock ImageIO differs from PIL by only " + mean);
    }

    @Test
    void aJpegCutAnywhereIsRefused() {
        // Not only at the half: every cut inside the scan data and inside the headers must be an error, never a
        // silently grey bottom.
        byte[] whole = Fixtures.bytes("rgb_progressive.jpg");
        for (int cut = 3; cut < whole.length - 1; cut += 7) {
            byte[] part = java.util.Arrays.copyOf(whole, cut);
            ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> decoder.decode(part),
                    "cut at " + cut);
            assertEquals("truncated JPEG (premature end of data)", e.getMessage(), "cut at " + cut);
        }
    }

    @Test
    void trailingBytesAfterTheEndMarkerAreIgnored() throws ImageDecodeException {
        // Some cameras and editors append data after EOI; PIL decodes such files, and so must we.
        byte[] whole = Fixtures.bytes("rgb_baseline.jpg");
        byte[] padded = java.util.Arrays.copyOf(whole, whole.length + 100);
        assertArrayEquals(Fixtures.bytes("rgb_baseline.jpg.rgb"), Fixtures.rgbBytes(decoder.decode(padded).rgb()));
    }

    @Test
    void aHugeImageIsRefusedBeforeItsPixelsAreAllocated() {
        // rgb_baseline.jpg with its frame header claiming 30000x30000 (900 M pixels, 2.7 GB as BGR).
        byte[] jpeg = Fixtures.bytes("rgb_baseline.jpg");
        int sof = 2;
        while ((jpeg[sof + 1] & 0xFF) != 0xC0) {
            sof += 2 + ((jpeg[sof + 2] & 0xFF) << 8 | (jpeg[sof + 3] & 0xFF));
        }
        jpeg[sof + 5] = jpeg[sof + 7] = (byte) 0x75;
        jpeg[sof + 6] = jpeg[sof + 8] = (byte) 0x30;
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> decoder.decode(jpeg));
        assertEquals("image too large (30000x30000 pixels)", e.getMessage());
    }

    @Test
    void aTruncatedPngIsRefused() {
        byte[] whole = Fixtures.bytes("rgba.png");
        byte[] half = java.util.Arrays.copyOf(whole, whole.length / 2);
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> decoder.decode(half));
        assertTrue(e.getMessage().startsWith("corrupt or unsupported PNG ("), e.getMessage());
    }
}
