package clip.prep.source;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * Flickr30k in Karpathy's split file: {@code dataset_flickr30k.json} lists each image's file
 * (in {@code flickr30k_images/}), split and sentences. It records no image sizes.
 */
public final class Flickr30kCaptions {
    public static final String SPLIT_FILE = "dataset_flickr30k.json";
    public static final String IMAGE_DIR = "flickr30k_images";

    private Flickr30kCaptions() {
    }

    /** Reads the split file under {@code root}, keeping the images of {@code splits} (all when empty). */
    public static DatasetListing read(String root, List<String> splits, Configuration conf) throws IOException {
        ListingBuilder listing = new ListingBuilder("flickr30k");
        AnnotationFile file = new AnnotationFile(new Path(root, SPLIT_FILE), SPLIT_FILE, conf);
        file.readArrays(Map.of("images", e -> {
            String split = e.text("split");
            if (!splits.isEmpty() && !splits.contains(split)) {
                return;
            }
            long imageId = e.number("imgid");
            listing.image(imageId, e.text("filename"), IMAGE_DIR, split, 0, 0);
            JsonNode sentences = e.array("sentences");
            for (int i = 0; i < sentences.size(); i++) {
                JsonNode s = sentences.get(i);
                JsonNode raw = s.get("raw");
                JsonNode id = s.get("sentid");
                if (raw == null || !raw.isTextual() || id == null || !id.canConvertToLong()) {
                    throw e.missing("sentences[" + i + "].raw/sentid", "a string and an integer");
                }
                listing.caption(id.asLong(), imageId, raw.asText());
            }
        }));
        return listing.build();
    }
}
