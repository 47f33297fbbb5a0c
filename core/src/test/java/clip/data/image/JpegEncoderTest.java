package clip.data.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

class JpegEncoderTest {
    private final ImageDecoder decoder = new ImageDecoder();

    @Test
    void quality90IsPilsQuality90ToTheByte() throws ImageDecodeException {
        // resize_land_q90.jpg is PIL's save(quality=90) of resize_land.png. Both go through libjpeg with the same
        // tables, 4:2:0 chroma, ISLOW DCT and standard Huffman codes, so everything after the JFIF header (whose
        // version field differs: 1.02 vs 1.01) is identical: tables, frame, and every entropy-coded byte.
        byte[] pil = Fixtures.bytes("resize_land_q90.jpg");
        byte[] ours = new JpegEncoder(0.9f).encode(decoder.decode(Fixtures.bytes("resize_land.png")).rgb());
        assertArrayEquals(afterJfif(pil), afterJfif(ours));
    }

    @Test
    void roundTripKeepsSizeAndPixelsWithinJpegLoss() throws ImageDecodeException {
        BufferedImage original = decoder.decode(Fixtures.bytes("resize_land.png")).rgb();

        DecodedImage back = decoder.decode(new JpegEncoder(0.9f).encode(original));

        assertEquals(ImageFormat.JPEG, back.format());
        assertEquals(96, back.storedWidth());
        assertEquals(72, back.storedHeight());
        assertEquals(1, back.orientation());
        // PIL's own quality-90 round trip of this picture has mean error 7.91, max 161: saturated red/blue shapes
        // on a sine-modulated background lose much in 2x2-averaged chroma. Far above that would be a real fault.
        byte[] before = Fixtures.rgbBytes(original);
        byte[] after = Fixtures.rgbBytes(back.rgb());
        double mean = Fixtures.meanAbsDiff(before, after);
        assertTrue(mean < 8.0, "mean abs error " + mean);
    }

    @Test
    void higherQualityIsLargerAndCloser() throws ImageDecodeException {
        BufferedImage original = decoder.decode(Fixtures.bytes("resize_land.png")).rgb();
        byte[] low = new JpegEncoder(0.5f).encode(original);
        byte[] high = new JpegEncoder(0.95f).encode(original);
        assertTrue(high.length > low.length, high.length + " vs " + low.length);
        byte[] before = Fixtures.rgbBytes(original);
        double lowError = Fixtures.meanAbsDiff(before, Fixtures.rgbBytes(decoder.decode(low).rgb()));
        double highError = Fixtures.meanAbsDiff(before, Fixtures.rgbBytes(decoder.decode(high).rgb()));
        assertTrue(highError < lowError, highError + " vs " + lowError);
    }

    @Test
    void alphaIsDroppedNotComposited() throws ImageDecodeException {
        BufferedImage argb = new BufferedImage(16, 16, BufferedImage.TYPE_INT_ARGB);
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 16; x++) {
                argb.setRGB(x, y, 0x00_20_80_E0); // fully transparent, colour kept
            }
        }
        BufferedImage back = decoder.decode(new JpegEncoder(0.95f).encode(argb)).rgb();
        int p = back.getRGB(8, 8);
        assertTrue(Math.abs((p >> 16 & 0xFF) - 0x20) <= 2 && Math.abs((p >> 8 & 0xFF) - 0x80) <= 2
                && Math.abs((p & 0xFF) - 0xE0) <= 2, Integer.toHexString(p));
    }

    @Test
    void qualityIsOnTheZeroToOneScale() {
        assertThrows(IllegalArgumentException.class, () -> new JpegEncoder(90f));
        assertThrows(IllegalArgumentException.class, () -> new JpegEncoder(-0.1f));
        assertThrows(IllegalArgumentException.class, () -> new JpegEncoder(Float.NaN));
    }

    /** The file from its first segment after APP0 (JFIF) on. */
    private static byte[] afterJfif(byte[] jpeg) {
        assertEquals(0xE0, jpeg[3] & 0xFF, "APP0 first");
        int next = 4 + ((jpeg[4] & 0xFF) << 8 | (jpeg[5] & 0xFF));
        return java.util.Arrays.copyOfRange(jpeg, next, jpeg.length);
    }
}
