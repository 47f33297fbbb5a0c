package clip.prep.synth;

import clip.data.ShapeScene;
import clip.data.SyntheticShapes;
import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonFactory;
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

    private final JsonFactory json = new JsonFactory();
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
            long idBase = split.equals("train") ? 1 : VAL_ID_BASE;
            List<ShapeScene> scenes = SyntheticShapes.scenes(count, seed * 31 + split.hashCode());
            SplittableRandom sizeDraws = new SplittableRandom(seed ^ split.hashCode());
            int[][] sizes = new int[count][];
            for (int i = 0; i < count; i++) {
                sizes[i] = images.write(scenes.get(i), root.resolve(split + "2017").resolve(fileName(idBase + i)), sizeDraws);
            }
            Path annotationsDir = Files.createDirectories(root.resolve("annotations"));
            // Streamed element by element: at COCO's size the files are ~90 MB, and as a tree in memory several GB.
            try (JsonGenerator g = json.createGenerator(annotationsDir.resolve("captions_" + split + "2017.json").toFile(),
                    JsonEncoding.UTF8)) {
                header(g, split);
                imageList(g, idBase, sizes);
                g.writeArrayFieldStart("annotations");
                long perImage = count == 0 ? 0 : captionCount / count;
                long oneMore = count == 0 ? 0 : captionCount % count;
                for (int i = 0; i < count; i++) {
                    List<String> paraphrases = scenes.get(i).captions();
                    long own = perImage + (i < oneMore ? 1 : 0);
                    for (int c = 0; c < own; c++) {
                        g.writeStartObject();
                        g.writeNumberField("image_id", idBase + i);
                        g.writeNumberField("id", captionId++);
                        g.writeStringField("caption", paraphrases.get(c % paraphrases.size()));
                        g.writeEndObject();
                    }
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            try (JsonGenerator g = json.createGenerator(annotationsDir.resolve("instances_" + split + "2017.json").toFile(),
                    JsonEncoding.UTF8)) {
                header(g, split);
                List<String> names = SyntheticShapes.categories();
                g.writeArrayFieldStart("categories");
                for (int c = 0; c < names.size(); c++) {
                    g.writeStartObject();
                    g.writeNumberField("id", c + 1);
                    g.writeStringField("name", names.get(c));
                    g.writeStringField("supercategory", "shape");
                    g.writeEndObject();
                }
                g.writeEndArray();
                g.writeArrayFieldStart("annotations");
                for (int i = 0; i < count; i++) {
                    ShapeScene scene = scenes.get(i);
                    int[] box = scene.boundingBox(sizes[i][0], sizes[i][1]);
                    g.writeStartObject();
                    g.writeNumberField("id", idBase + i);
                    g.writeNumberField("image_id", idBase + i);
                    g.writeNumberField("category_id", names.indexOf(scene.category()) + 1);
                    g.writeNumberField("area", (double) box[2] * box[3]);
                    g.writeNumberField("iscrowd", 0);
                    g.writeArrayFieldStart("bbox");
                    for (int v : box) {
                        g.writeNumber(v);
                    }
                    g.writeEndArray();
                    g.writeEndObject();
                }
                g.writeEndArray();
                imageList(g, idBase, sizes);
                g.writeEndObject();
            }
        }
    }

    private static String fileName(long id) {
        return String.format("%012d.jpg", id);
    }

    /** Opens the top-level object and writes COCO's info and (empty) licenses. */
    private static void header(JsonGenerator g, String split) throws IOException {
        g.writeStartObject();
        g.writeObjectFieldStart("info");
        g.writeStringField("description", "synthetic shapes in the COCO 2017 layout (" + split + ")");
        g.writeStringField("version", "1.0");
        g.writeNumberField("year", 2017);
        g.writeEndObject();
        g.writeArrayFieldStart("licenses");
        g.writeEndArray();
    }

    private static void imageList(JsonGenerator g, long idBase, int[][] sizes) throws IOException {
        g.writeArrayFieldStart("images");
        for (int i = 0; i < sizes.length; i++) {
            g.writeStartObject();
            g.writeNumberField("id", idBase + i);
            g.writeStringField("file_name", fileName(idBase + i));
            g.writeNumberField("width", sizes[i][0]);
            g.writeNumberField("height", sizes[i][1]);
            g.writeEndObject();
        }
        g.writeEndArray();
    }
}
