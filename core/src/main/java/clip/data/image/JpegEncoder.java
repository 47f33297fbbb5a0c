package clip.data.image;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * RGB pixels to baseline JPEG bytes with the JDK's libjpeg: 4:2:0 chroma, standard Huffman tables, the IJG
 * quantisation tables scaled by quality exactly as libjpeg does, so quality 0.9 writes the same tables as PIL's
 * save(quality=90). Alpha is dropped. No EXIF is written: the pixels are already upright.
 * Stateless and thread-safe (a writer is made per call).
 */
public final class JpegEncoder {
    private final float quality;

    /** {@code quality} on ImageIO's 0..1 scale (0.9 = PIL's quality=90). */
    public JpegEncoder(float quality) {
        if (!(quality >= 0f && quality <= 1f)) {
            throw new IllegalArgumentException("JPEG quality is on the 0..1 scale (0.9 = PIL's 90), got " + quality);
        }
        this.quality = quality;
    }

    public byte[] encode(BufferedImage rgb) {
        BufferedImage source = rgbInOrder(BgrImages.toBgr(rgb));
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(source.getWidth() * source.getHeight() / 2 + 1024);
        try (ImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(quality);
            writer.setOutput(out);
            writer.write(null, new IIOImage(source, null, null), param);
        } catch (IOException e) {
            throw new UncheckedIOException("writing a JPEG to memory", e); // no I/O happens; only a JDK bug gets here
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    /**
     * An R,G,B-ordered copy: the writer copies such scanlines whole, where from B,G,R it goes sample by sample
     * (measured ~10% of the encode here); alpha is already gone.
     */
    private static BufferedImage rgbInOrder(BufferedImage bgr) {
        byte[] src = BgrImages.bytes(bgr);
        byte[] rgb = new byte[src.length];
        for (int i = 0; i < src.length; i += 3) {
            rgb[i] = src[i + 2];
            rgb[i + 1] = src[i + 1];
            rgb[i + 2] = src[i];
        }
        return BgrImages.rgbInOrder(new DataBufferByte(rgb, rgb.length), bgr.getWidth(), bgr.getHeight());
    }
}
