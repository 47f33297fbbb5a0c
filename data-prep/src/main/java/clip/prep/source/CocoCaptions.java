package clip.prep.source;

import clip.io.BadInputException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * MS-COCO 2017 as downloaded: {@code annotations/captions_<split>2017.json} lists the images of
 * {@code <split>2017/} and their captions (five to seven per image).
 */
public final class CocoCaptions {
    private CocoCaptions() {
    }

    /**
     * Reads the caption files of the given splits (e.g. train, val) under {@code root}; with no
     * splits given, every split whose caption file exists.
     */
    public static DatasetListing read(String root, List<String> splits, Configuration conf) throws IOException {
        List<String> chosen = new ArrayList<>(splits);
        if (chosen.isEmpty()) {
            for (String s : List.of("train", "val")) {
                if (file(root, s, conf).exists()) {
                    chosen.add(s);
                }
            }
            if (chosen.isEmpty()) {
                throw new BadInputException(root + ": no annotations/captions_train2017.json or captions_val2017.json (is this a COCO 2017 root?)");
            }
        }
        ListingBuilder listing = new ListingBuilder("coco");
        for (String split : chosen) {
            String imageDir = split + "2017";
            file(root, split, conf).readArrays(Map.of(
                    "images", e -> listing.image(e.number("id"), e.text("file_name"), imageDir, split,
                            e.intOr("width", 0), e.intOr("height", 0)),
                    "annotations", e -> listing.caption(e.number("id"), e.number("image_id"), e.text("caption"))));
        }
        return listing.build();
    }

    private static AnnotationFile file(String root, String split, Configuration conf) {
        String name = "annotations/captions_" + split + "2017.json";
        return new AnnotationFile(new Path(root, name), name, conf);
    }
}
