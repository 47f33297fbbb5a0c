package clip.prep.source;

import java.io.Serializable;

/**
 * One problem found in the input, with the image id and file it concerns (the file is empty for a
 * caption whose image does not exist) and a short detail.
 */
public record Fault(FaultKind kind, long imageId, String file, String detail) implements Serializable {
    /** The one-line report, e.g. {@code missing_image_file: image 139 (val2017/000000000139.jpg): no such file}. */
    public String line() {
        String where = file.isEmpty() ? "image " + imageId : "image " + imageId + " (" + file + ")";
        return kind.key() + ": " + where + ": " + detail;
    }
}
