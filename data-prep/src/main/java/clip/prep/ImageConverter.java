package clip.prep;

import clip.prep.source.Fault;
import clip.prep.source.FaultKind;
import clip.data.image.DecodedImage;
import clip.data.image.ImageDecodeException;
import clip.data.image.ImageDecoder;
import clip.data.image.ImageFormat;
import clip.data.image.ImageResizer;
import clip.data.image.JpegEncoder;
import clip.prep.source.Caption;
import clip.prep.source.ImageEntry;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

/**
 * One image file to one shard row: decoded (whatever its real format), resized so its shorter
 * side is the configured size, re-encoded as JPEG, with every check of the file against the
 * annotations. Faults that leave the image usable are reported and the row is still written.
 */
final class ImageConverter {
    /** The row to write (null when the image is rejected) and the faults found. */
    record Result(ShardSchema.Row row, List<Fault> faults) {
    }

    private final ImageDecoder decoder = new ImageDecoder();
    private final JpegEncoder encoder;
    private final int imageSize;

    ImageConverter(int imageSize, int jpegQuality) {
        this.imageSize = imageSize;
        this.encoder = new JpegEncoder(jpegQuality / 100f);
    }

    /** @param bytes the file's content, or null when the file does not exist */
    Result convert(ImageEntry entry, byte[] bytes) {
        String file = entry.relativePath();
        if (bytes == null) {
            return rejected(new Fault(FaultKind.MISSING_IMAGE_FILE, entry.id(), file, "no such file"));
        }
        if (bytes.length == 0) {
            return rejected(new Fault(FaultKind.EMPTY_IMAGE_FILE, entry.id(), file, "zero-byte file"));
        }
        DecodedImage decoded;
        try {
            decoded = decoder.decode(bytes);
        } catch (ImageDecodeException e) {
            return rejected(new Fault(FaultKind.UNDECODABLE_IMAGE, entry.id(), file, e.getMessage()));
        }
        List<Fault> faults = new ArrayList<>();
        ImageFormat expected = expectedFormat(entry.fileName());
        if (expected != null && decoded.format() != expected) {
            faults.add(new Fault(FaultKind.WRONG_IMAGE_FORMAT, entry.id(), file,
                    "the file is " + decoded.format() + ", not " + expected + " as its name says; decoded anyway"));
        }
        if (entry.width() > 0 && entry.height() > 0
                && (entry.width() != decoded.storedWidth() || entry.height() != decoded.storedHeight())) {
            faults.add(new Fault(FaultKind.SIZE_MISMATCH, entry.id(), file, "annotations say " + entry.width() + "x"
                    + entry.height() + ", the file is " + decoded.storedWidth() + "x" + decoded.storedHeight()));
        }
        BufferedImage resized = ImageResizer.shorterSide(decoded.rgb(), imageSize);
        List<String> texts = entry.captions().stream().map(Caption::text).toList();
        List<Long> ids = entry.captions().stream().map(Caption::id).toList();
        ShardSchema.Row row = new ShardSchema.Row(entry.id(), entry.fileName(), entry.split(), resized.getWidth(),
                resized.getHeight(), encoder.encode(resized), texts, ids);
        return new Result(row, faults);
    }

    private static Result rejected(Fault fault) {
        return new Result(null, List.of(fault));
    }

    private static ImageFormat expectedFormat(String fileName) {
        String lower = fileName.toLowerCase(java.util.Locale.ROOT);
        if (lower.endsWith(".jpg") || lower.endsWith(".jpeg")) {
            return ImageFormat.JPEG;
        }
        return lower.endsWith(".png") ? ImageFormat.PNG : null;
    }
}
