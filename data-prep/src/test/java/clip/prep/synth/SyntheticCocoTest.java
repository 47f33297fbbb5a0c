package clip.prep.synth;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticCocoTest {
    @TempDir
    Path tmp;

    /** COCO has a few images with six or seven captions (591,753 for 118,287 images): a caption count per split gives them. */
    @Test
    void givesExactlyTheCaptionCountsAskedForSpreadOverTheFirstImages() throws Exception {
        new SyntheticCoco(32).write(tmp, 7, 38, 3, 15, 1);
        ObjectMapper json = new ObjectMapper();
        Set<Long> captionIds = new HashSet<>();
        for (String split : new String[] {"train", "val"}) {
            JsonNode root = json.readTree(tmp.resolve("annotations/captions_" + split + "2017.json").toFile());
            Map<Long, Integer> perImage = new TreeMap<>();
            for (JsonNode a : root.get("annotations")) {
                perImage.merge(a.get("image_id").asLong(), 1, Integer::sum);
                captionIds.add(a.get("id").asLong());
            }
            if (split.equals("train")) {
                assertEquals(7, root.get("images").size());
                assertEquals(38, root.get("annotations").size());
                assertEquals(List.of(6, 6, 6, 5, 5, 5, 5), List.copyOf(perImage.values()));
            } else {
                assertEquals(3, root.get("images").size());
                assertEquals(List.of(5, 5, 5), List.copyOf(perImage.values()));
            }
        }
        assertEquals(38 + 15, captionIds.size(), "caption ids are unique across splits");
    }
}
