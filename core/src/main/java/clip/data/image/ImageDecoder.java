package clip.data.image;

import java.awt.image.BufferedImage;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Image file bytes to RGB pixels as PIL would see them after ImageOps.exif_transpose(...).convert("RGB").
 *
 * <p>JPEGs go through the JDK's libjpeg. {@link JpegHeader} first rejects truncated files, reads the EXIF
 * orientation and decides the colour space by libjpeg's rules; plain JFIF YCbCr files then let libjpeg convert to
 * RGB, all others are read as raw components that {@link JpegColor} converts (CMYK, YCCK, gray, Adobe RGB, and
 * YCbCr without JFIF, where the JDK's own colour-space guess can differ from libjpeg's).
 * Other formats ImageIO can read (PNG, GIF, BMP, TIFF) are decoded by it and only their alpha dropped. The format is
 * taken from the bytes, so a PNG named .jpg decodes and reports PNG. Orientation is read from JPEG EXIF only (the
 * camera photos of COCO and Flickr30k); other formats report 1.
 *
 * <p>Stateless and thread-safe: a reader is made per call (a few microseconds) rather than shared.
 */
public final class ImageDecoder {
    /**
     * PIL's decompression-bomb limit (2 x Image.MAX_IMAGE_PIXELS): a larger image is refused before its pixels are
     * allocated, so one hostile or broken file cannot take a worker's heap.
     */
    static final long MAX_PIXELS = 2L * (1024L * 1024 * 1024 / 4 / 3);

    public DecodedImage decode(byte[] bytes) throws ImageDecodeException {
        if (bytes.length == 0) {
            throw new ImageDecodeException("zero-byte file");
        }
        ImageFormat format = ImageFormat.sniff(bytes);
        if (format == ImageFormat.UNKNOWN) {
            throw new ImageDecodeException("not an image (unknown format)");
        }
        if (format == ImageFormat.JPEG) {
            return decodeJpeg(bytes);
        }
        BufferedImage image = readWithImageIO(bytes, format);
        return new DecodedImage(BgrImages.toBgr(image), format, image.getWidth(), image.getHeight(), 1);
    }

    private static DecodedImage decodeJpeg(byte[] bytes) throws ImageDecodeException {
        JpegHeader header = JpegHeader.parse(bytes);
        checkSize(header.width, header.height);
        BufferedImage stored = header.plainJfif ? readJpegAsBgr(bytes, header) : convert(readJpegRaster(bytes), header);
        return new DecodedImage(Orientation.apply(stored, header.orientation), ImageFormat.JPEG,
                stored.getWidth(), stored.getHeight(), header.orientation);
    }

    /**
     * The fast path, for plain JFIF YCbCr files (nearly all photos): libjpeg converts to RGB itself (with SIMD in
     * libjpeg-turbo, its arithmetic being the same as PIL's) and the JDK copies whole scanlines. Two details make
     * that copy a plain array copy: the source bands are reversed in C, and the destination is an in-order raster
     * sharing its array with the TYPE_3BYTE_BGR result (a BGR destination would be filled pixel by pixel). Setting
     * source bands also stops the JDK from colour-managing through an embedded ICC profile, which PIL never does.
     */
    private static BufferedImage readJpegAsBgr(byte[] bytes, JpegHeader header) throws ImageDecodeException {
        BufferedImage bgr = BgrImages.create(header.width, header.height);
        BufferedImage inOrder = BgrImages.rgbInOrder((DataBufferByte) bgr.getRaster().getDataBuffer(),
                header.width, header.height);
        ImageReader reader = ImageIO.getImageReadersByFormatName("jpeg").next();
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            reader.setInput(in, true, true);
            ImageReadParam param = reader.getDefaultReadParam();
            param.setSourceBands(new int[] {2, 1, 0});
            param.setDestination(inOrder);
            reader.read(0, param);
            return bgr;
        } catch (IOException | RuntimeException e) {
            throw new ImageDecodeException("corrupt or unsupported JPEG (" + e.getMessage() + ")", e);
        } finally {
            reader.dispose();
        }
    }

    /** Any other JPEG: its stored components, converted by {@link JpegColor}. */
    private static BufferedImage convert(Raster raster, JpegHeader header) throws ImageDecodeException {
        int w = raster.getWidth();
        int h = raster.getHeight();
        if (!(raster.getSampleModel() instanceof ComponentSampleModel sm)
                || !(raster.getDataBuffer() instanceof DataBufferByte data)
                || sm.getPixelStride() != raster.getNumBands() || !inOrder(sm.getBandOffsets())) {
            throw new IllegalStateException("unexpected JPEG raster layout " + raster.getSampleModel());
        }
        int expectedBands = header.colorSpace == JpegHeader.ColorSpace.GRAY ? 1
                : header.colorSpace == JpegHeader.ColorSpace.CMYK || header.colorSpace == JpegHeader.ColorSpace.YCCK
                ? 4 : 3;
        if (raster.getNumBands() != expectedBands) {
            throw new ImageDecodeException("corrupt JPEG (" + raster.getNumBands() + " components decoded, "
                    + expectedBands + " declared)");
        }
        int offset = data.getOffset() + sm.getOffset(-raster.getSampleModelTranslateX(),
                -raster.getSampleModelTranslateY());
        BufferedImage bgr = BgrImages.create(w, h);
        JpegColor.toBgr(header.colorSpace, data.getData(), offset, sm.getScanlineStride(), w, h, BgrImages.bytes(bgr));
        return bgr;
    }

    private static void checkSize(int width, int height) throws ImageDecodeException {
        if ((long) width * height > MAX_PIXELS) {
            throw new ImageDecodeException("image too large (" + width + "x" + height + " pixels)");
        }
    }

    private static boolean inOrder(int[] bandOffsets) {
        for (int i = 0; i < bandOffsets.length; i++) {
            if (bandOffsets[i] != i) {
                return false;
            }
        }
        return true;
    }

    private static Raster readJpegRaster(byte[] bytes) throws ImageDecodeException {
        ImageReader reader = ImageIO.getImageReadersByFormatName("jpeg").next();
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            reader.setInput(in, true, true);
            return reader.readRaster(0, null);
        } catch (IOException | RuntimeException e) {
            // libjpeg's errors arrive as IIOException; malformed headers also as runtime exceptions from ImageIO.
            throw new ImageDecodeException("corrupt or unsupported JPEG (" + e.getMessage() + ")", e);
        } finally {
            reader.dispose();
        }
    }

    private static BufferedImage readWithImageIO(byte[] bytes, ImageFormat format) throws ImageDecodeException {
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new ImageDecodeException("unsupported image format (" + format + ")");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                checkSize(reader.getWidth(0), reader.getHeight(0));
                BufferedImage image = reader.read(0);
                if (image == null || image.getWidth() == 0 || image.getHeight() == 0) {
                    throw new ImageDecodeException("corrupt " + format + " (no pixels)");
                }
                return image;
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            throw new ImageDecodeException("corrupt or unsupported " + format + " (" + e.getMessage() + ")", e);
        }
    }
}
