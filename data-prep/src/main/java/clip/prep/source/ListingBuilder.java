package clip.prep.source;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Collects images and captions in the order a reader meets them and applies the checks every
 * format shares. Captions may come before their image (COCO lists annotations after images, but
 * nothing guarantees it), so they are matched to images only in {@link #build()}.
 */
final class ListingBuilder {
    private record PendingCaption(long id, long imageId, String text) {
    }

    private record PendingImage(long id, String fileName, String imageDir, String split, int width, int height) {
    }

    private final String format;
    private final Map<Long, PendingImage> images = new LinkedHashMap<>();
    private final List<PendingCaption> captions = new ArrayList<>();
    private final Set<Long> captionIds = new HashSet<>();
    private final List<Fault> faults = new ArrayList<>();
    private long imagesIn;
    private long captionsIn;
    private ImageFolder.Classes classes;

    ListingBuilder(String format) {
        this.format = format;
    }

    void image(long id, String fileName, String imageDir, String split, int width, int height) {
        imagesIn++;
        PendingImage image = new PendingImage(id, fileName, imageDir, split, width, height);
        if (images.putIfAbsent(id, image) != null) {
            faults.add(new Fault(FaultKind.DUPLICATE_IMAGE_ID, id, imageDir + "/" + fileName,
                    "image id already used by " + images.get(id).imageDir() + "/" + images.get(id).fileName()));
        }
    }

    void caption(long id, long imageId, String text) {
        captionsIn++;
        if (!captionIds.add(id)) {
            faults.add(new Fault(FaultKind.DUPLICATE_CAPTION_ID, imageId, "", "caption id " + id + " appears more than once; the first is kept"));
        } else if (text.isBlank()) {
            faults.add(new Fault(FaultKind.EMPTY_CAPTION, imageId, "", "caption id " + id + " is empty or whitespace"));
        } else {
            captions.add(new PendingCaption(id, imageId, text));
        }
    }

    void classes(ImageFolder.Classes labelled) {
        classes = labelled;
    }

    DatasetListing build() {
        Map<Long, List<Caption>> byImage = new LinkedHashMap<>();
        for (PendingCaption c : captions) {
            if (!images.containsKey(c.imageId())) {
                faults.add(new Fault(FaultKind.CAPTION_WITHOUT_IMAGE, c.imageId(), "",
                        "caption id " + c.id() + " refers to an image id that is not listed"));
            } else {
                byImage.computeIfAbsent(c.imageId(), k -> new ArrayList<>()).add(new Caption(c.id(), c.text()));
            }
        }
        List<ImageEntry> out = new ArrayList<>();
        for (PendingImage i : images.values()) {
            List<Caption> own = byImage.getOrDefault(i.id(), List.of());
            if (own.isEmpty()) {
                faults.add(new Fault(FaultKind.IMAGE_WITHOUT_CAPTIONS, i.id(), i.imageDir() + "/" + i.fileName(), "no usable caption"));
            } else {
                out.add(new ImageEntry(i.id(), i.fileName(), i.imageDir(), i.split(), i.width(), i.height(), List.copyOf(own)));
            }
        }
        out.sort(Comparator.comparing(ImageEntry::split).thenComparingLong(ImageEntry::id));
        return new DatasetListing(format, List.copyOf(out), List.copyOf(faults), imagesIn, captionsIn, classes);
    }
}
