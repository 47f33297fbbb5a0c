package clip.embed;

import clip.io.BadInputException;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** The two halves of an index: image embeddings and caption embeddings, each in its own folder. */
public enum Side {
    IMAGES, TEXTS;

    /** The index's folder of this side's parts, and its name in the manifest. */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** {@code --what image|text|both}. */
    public static Set<Side> parse(String what) {
        return switch (what) {
            case "image" -> EnumSet.of(IMAGES);
            case "text" -> EnumSet.of(TEXTS);
            case "both" -> EnumSet.allOf(Side.class);
            default -> throw new BadInputException("--what must be image, text or both, not '" + what + "'");
        };
    }
}
