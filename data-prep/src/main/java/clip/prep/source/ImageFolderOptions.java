package clip.prep.source;

import clip.io.BadInputException;
import java.io.Serializable;
import java.util.List;

/**
 * How a labelled image folder becomes captioned pairs: the caption templates ({class} where the
 * class name goes, one caption per template), where class names come from, and how a root without
 * split folders is split.
 *
 * @param classNames  a file of "FOLDER NAME..." lines (ImageNet's synset mapping reads as is), or
 *                    null for folder names with underscores as spaces
 * @param valFraction of each class's images that go to val, for a root without train/val/test folders
 * @param seed        of that split's draw
 */
public record ImageFolderOptions(List<String> templates, String classNames, double valFraction, long seed) implements Serializable {
    public static final String DEFAULT_TEMPLATE = "a photo of a {class}.";

    public ImageFolderOptions {
        templates = List.copyOf(templates);
        if (templates.isEmpty()) {
            throw new BadInputException("--templates gave no caption templates");
        }
        for (String t : templates) {
            if (!t.contains("{class}")) {
                throw new BadInputException("caption template '" + t + "' has no {class} for the class name");
            }
        }
        if (!(valFraction >= 0 && valFraction < 1)) {
            throw new BadInputException("--val-fraction must be at least 0 and below 1, not " + valFraction);
        }
    }

    /** Everything here that changes a shard's bytes, for the prep fingerprint. */
    public String fingerprint() {
        return String.join("\u0001", templates) + "|" + classNames + "|" + valFraction + "|" + seed;
    }
}
