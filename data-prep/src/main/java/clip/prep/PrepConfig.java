package clip.prep;

import clip.prep.source.ImageFolder;
import clip.prep.source.ImageFolderOptions;
import java.io.Serializable;
import java.util.List;

/**
 * How a dataset is turned into shards. Everything that changes a shard's bytes is part of
 * {@link #fingerprint()}, so a rerun can tell a finished shard it may keep from one it must redo.
 *
 * @param format         coco or flickr30k
 * @param root           the dataset as downloaded (any Hadoop FileSystem URI or local path)
 * @param out            where shards and manifest.json go
 * @param splits         the splits to convert; empty means all the source has
 * @param imageSize      the shorter side of the re-encoded images, in pixels (aspect kept)
 * @param jpegQuality    of the re-encoded images, 1..100
 * @param imagesPerShard rows per shard
 * @param strict         stop at the first fault instead of counting it and going on
 * @param folder         for format imagefolder, its captions, class names and split; null for the others
 */
public record PrepConfig(String format, String root, String out, List<String> splits, int imageSize, int jpegQuality,
                         int imagesPerShard, boolean strict, ImageFolderOptions folder) implements Serializable {
    /** A shard of about {@value #TARGET_SHARD_MB} MB: a JPEG at quality ~90 of a photo takes about 0.35 bytes per pixel. */
    public static final int TARGET_SHARD_MB = 96;

    public PrepConfig {
        if (!format.equals("coco") && !format.equals("flickr30k") && !format.equals(ImageFolder.FORMAT)) {
            throw new clip.io.BadInputException("--format must be coco, flickr30k or imagefolder, not '" + format + "'");
        }
        if (format.equals(ImageFolder.FORMAT) && folder == null) {
            folder = new ImageFolderOptions(List.of(ImageFolderOptions.DEFAULT_TEMPLATE), null, 0, 0);
        }
        if (imageSize < 8 || imageSize > 4096) {
            throw new clip.io.BadInputException("--image-size must be between 8 and 4096 pixels, not " + imageSize);
        }
        if (jpegQuality < 1 || jpegQuality > 100) {
            throw new clip.io.BadInputException("--jpeg-quality must be between 1 and 100, not " + jpegQuality);
        }
        if (imagesPerShard < 1) {
            throw new clip.io.BadInputException("--images-per-shard must be at least 1, not " + imagesPerShard);
        }
        splits = List.copyOf(splits);
    }

    /** A captioned dataset (coco, flickr30k). */
    public PrepConfig(String format, String root, String out, List<String> splits, int imageSize, int jpegQuality, int imagesPerShard,
                      boolean strict) {
        this(format, root, out, splits, imageSize, jpegQuality, imagesPerShard, strict, null);
    }

    /** Rows per shard that give shards of about {@link #TARGET_SHARD_MB} MB at this image size (4:3 images). */
    public static int defaultImagesPerShard(int imageSize) {
        double bytesPerImage = imageSize * (imageSize * 4.0 / 3.0) * 0.35 + 400;
        return (int) Math.max(1, Math.round(TARGET_SHARD_MB * 1e6 / bytesPerImage));
    }

    public String fingerprint() {
        return format + "|" + root + "|" + imageSize + "|" + jpegQuality + "|" + imagesPerShard + "|" + ShardSchema.VERSION
                + (folder == null ? "" : "|" + folder.fingerprint());
    }
}
