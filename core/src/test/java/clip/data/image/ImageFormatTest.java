package clip.data.image;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ImageFormatTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "rgb_baseline.jpg, JPEG",
            "cmyk.jpg,         JPEG",
            "png_as.jpg,       PNG",
            "rgba.png,         PNG",
            "image.gif,        GIF",
            "image.bmp,        BMP",
            "image.tiff,       TIFF",
            "image.webp,       WEBP",
            "garbage.jpg,      UNKNOWN",
            "empty.jpg,        UNKNOWN",
    })
    void sniffsTheBytesNotTheName(String file, ImageFormat expected) {
        assertEquals(expected, ImageFormat.sniff(Fixtures.bytes(file)));
    }

    @Test
    void prefixesTooShortForAMagicAreUnknown() {
        assertEquals(ImageFormat.UNKNOWN, ImageFormat.sniff(new byte[] {(byte) 0xFF, (byte) 0xD8}));
        assertEquals(ImageFormat.UNKNOWN, ImageFormat.sniff(new byte[] {'G', 'I', 'F', '8'}));
        assertEquals(ImageFormat.UNKNOWN, ImageFormat.sniff("RIFF\0\0\0\0WAVE".getBytes()));
    }
}
