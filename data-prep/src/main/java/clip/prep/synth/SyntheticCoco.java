package clip.prep.synth;

import clip.data.ShapeScene;
import clip.data.SyntheticShapes;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A generated dataset in exactly the MS-COCO 2017 layout: {@code train2017/} and {@code val2017/}
 * JPEGs, {@code annotations/captions_*2017.json} (five captions per image) and
 * {@code annotations/instances_*2017.json} (one box per image, its category the shape). The same
 * seed gives the same bytes. It stands in for COCO where COCO cannot be downloaded. Five captions
 * per image by default; COCO itself has a few more (591,753 for 118,287 train images), which a
 * caption count per split reproduces: the first images of the split get one more, cycling
 * through the scene's paraphrases.
 */
public final class SyntheticCoco {
    /** Image ids of the val split start here, so ids are unique across splits as in COCO. */
    static final long VAL_ID_BASE = 1_000_000;

    private final ObjectMapper json = new ObjectMapper();
    private final SceneImages images;

    public SyntheticCoco(int longSide) {
        this.images = new SceneImages(longSide);
    }

    /** Five captions per image. */
    public void write(Path root, int trainImages, int valImages, long seed) throws IOException {
        write(root, trainImages, 5L * trainImages, valImages, 5L * valImages, seed);
    }

    /** {@code trainCaptions} and {@code valCaptions} captions in all, spread as evenly over the split's images as they go. */
    public void write(Path root, int trainImages, long trainCaptions, int valImages, long valCaptions, long seed) throws IOException {
        long captionId = 1;
        for (String split : List.of("train", "val")) {
            int count = split.equals("train") ? trainImages : valImages;
            long captionCount = split.equals("train") ? trainCaptions : valCaptions;
            if (count > 0 && captionCount < count) {
                throw new IllegalArgumentException(split + ": " + captionCount + " captions cannot give each of " + count + " images one");
            }
            long perImage = count == 0 ? 0 : captionCount / count;
            long oneMore = count == 0 ? 0 : captionCount % count;
            long idBase = split.equals("train") ? 1 : VAL_ID_BASE;
            List<ShapeScene> scenes = SyntheticShapes.scenes(count, seed * 31 + split.hashCode());
            SplittableRandom sizes = new SplittableRandom(seed ^ split.hashCode());
            ObjectNode captions = header(split);
            ObjectNode instances = header(split);
            ArrayNode categories = instances.putArray("categories");
            List<String> names = SyntheticShapes.categories();
            for (int c = 0; c < names.size(); c++) {
                categories.addObject().put("id", c + 1).put("name", names.get(c)).put("supercategory", "shape");
            }
            ArrayNode imageList = captions.putArray("images");
            ArrayNode annotations = captions.putArray("annotations");
            ArrayNode boxes = instances.putArray("annotations");
            for (int i = 0; i < count; i++) {
                long id = idBase + i;
                String fileName = String.format("%012d.jpg", id);
                ShapeScene scene = scenes.get(i);
                int[] size = images.write(scene, root.resolve(split + "2017").resolve(fileName), sizes);
                imageList.addObject().put("id", id).put("file_name", fileName).put("width", size[0]).put("height", size[1]);
                List<String> paraphrases = scene.captions();
                long own = perImage + (i < oneMore ? 1 : 0);
                for (int c = 0; c < own; c++) {
                    annotations.addObject().put("image_id", id).put("id", captionId++).put("caption", paraphrases.get(c % paraphrases.size()));
                }
                int[] box = scene.boundingBox(size[0], size[1]);
                ArrayNode bbox = boxes.addObject().put("id", id).put("image_id", id)
                        .put("category_id", names.indexOf(scene.category()) + 1)
                        .put("area", (double) box[2] * box[3]).put("iscrowd", 0).putArray("bbox");
                for (int v : box) {
                    bbox.add(v);
                }
            }
            instances.set("images", imageList.deepCopy());
            Path annotationsDir = Files.createDirectories(root.resolve("annotations"));
            json.writeValue(annotationsDir.resolve("captions_" + split + "2017.json").toFile(), captions);
            json.writeValue(annotationsDir.resolve("instances_" + split + "2017.json").toFile(), instances);
        }
    }

    private ObjectNode header(String split) {
        ObjectNode root = json.createObjectNode();
        root.putObject("info").put("description", "synthetic shapes in the COCO 2017 layout (" + split + ")")
                .put("version", "1.0").put("year", 2017);
        root.putArray("licenses");
        return root;
    }
}
