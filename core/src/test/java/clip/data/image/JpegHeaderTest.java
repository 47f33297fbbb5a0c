package clip.data.image;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which decoding path each JPEG fixture takes, so that ImageDecoderTest's PIL comparisons cover both. */
class JpegHeaderTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource({
            // file, colour space, plain JFIF (libjpeg converts) or raw components converted in Java, orientation
            "rgb_baseline.jpg,     YCBCR, true,  1",
            "rgb_progressive.jpg,  YCBCR, true,  1",
            "icc_swapped.jpg,      YCBCR, true,  1",
            "exif_orient_8.jpg,    YCBCR, true,  8",
            "exif_orient_6_le.jpg, YCBCR, true,  6",
            "no_jfif.jpg,          YCBCR, false, 1",
            "adobe_rgb.jpg,        RGB,   false, 1",
            "gray.jpg,             GRAY,  false, 1",
            "cmyk.jpg,             CMYK,  false, 1",
            "ycck.jpg,             YCCK,  false, 1",
    })
    void classifiesTheFixtures(String file, JpegHeader.ColorSpace colorSpace, boolean plainJfif, int orientation)
            throws ImageDecodeException {
        JpegHeader header = JpegHeader.parse(Fixtures.bytes(file));
        assertEquals(colorSpace, header.colorSpace);
        assertEquals(plainJfif, header.plainJfif);
        assertEquals(orientation, header.orientation);
        assertEquals(64, header.width);
        assertEquals(48, header.height);
    }
}
