package clip.prep.source;

import java.util.List;

/**
 * What a dataset's annotation files say, after the checks that need no image: the images to
 * convert (ordered by split, then id), the faults found, and how many images and captions the
 * files held, so that every one of them is accounted for in the manifest; and for a labelled image
 * folder its classes (null for captioned datasets).
 */
public record DatasetListing(String format, List<ImageEntry> images, List<Fault> faults, long imagesIn,
                             long captionsIn, ImageFolder.Classes classes) {
}
