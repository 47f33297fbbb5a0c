package clip.prep.source;

/**
 * Everything that can be wrong with a published dataset, and what it costs: whether the image (with
 * all its captions) or just one caption is left out of the shards, or neither (reported only).
 */
public enum FaultKind {
    MISSING_IMAGE_FILE(Loss.IMAGE),
    EMPTY_IMAGE_FILE(Loss.IMAGE),
    UNDECODABLE_IMAGE(Loss.IMAGE),
    IMAGE_WITHOUT_CAPTIONS(Loss.IMAGE),
    DUPLICATE_IMAGE_ID(Loss.IMAGE),
    WRONG_IMAGE_FORMAT(Loss.NOTHING),
    SIZE_MISMATCH(Loss.NOTHING),
    CAPTION_WITHOUT_IMAGE(Loss.CAPTION),
    EMPTY_CAPTION(Loss.CAPTION),
    DUPLICATE_CAPTION_ID(Loss.CAPTION);

    /** What a fault of this kind removes from the output. */
    public enum Loss { IMAGE, CAPTION, NOTHING }

    private final Loss loss;

    FaultKind(Loss loss) {
        this.loss = loss;
    }

    public Loss loss() {
        return loss;
    }

    /** The name used in manifests and reports, e.g. {@code missing_image_file}. */
    public String key() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
