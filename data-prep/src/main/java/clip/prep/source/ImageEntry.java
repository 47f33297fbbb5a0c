package clip.prep.source;

import java.io.Serializable;
import java.util.List;

/**
 * One image as the dataset's annotation file lists it, with the captions that survived the
 * annotation checks. {@code width}/{@code height} are the JSON's claim (0 when the format records
 * none, as Flickr30k's Karpathy split does); the image file is checked against them later.
 *
 * @param imageDir the folder under the dataset root that holds the file, e.g. {@code val2017}
 */
public record ImageEntry(long id, String fileName, String imageDir, String split, int width, int height,
                         List<Caption> captions) implements Serializable {
    public String relativePath() {
        return imageDir + "/" + fileName;
    }
}
