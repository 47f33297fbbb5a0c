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
 * A generated dataset in the Flickr30k layout of Karpathy's splits: {@code flickr30k_images/} and
 * {@code dataset_flickr30k.json} (images with filename, imgid, split and five sentences).
 */
public final class SyntheticFlickr30k {
    private final ObjectMapper json = new ObjectMapper();
    private final SceneImages images;

    public SyntheticFlickr30k(int longSide) {
        this.images = new SceneImages(longSide);
    }

    public void write(Path root, int trainImages, int valImages, int testImages, long seed) throws IOException {
        int total = trainImages + valImages + testImages;
        List<ShapeScene> scenes = SyntheticShapes.scenes(total, seed);
        SplittableRandom sizes = new SplittableRandom(seed ^ 0x5f3759df);
        ObjectNode dataset = json.createObjectNode().put("dataset", "flickr30k");
        ArrayNode list = dataset.putArray("images");
        int sentenceId = 0;
        for (int i = 0; i < total; i++) {
            String split = i < trainImages ? "train" : i < trainImages + valImages ? "val" : "test";
            String fileName = (100000 + i) + ".jpg";
            images.write(scenes.get(i), root.resolve("flickr30k_images").resolve(fileName), sizes);
            ObjectNode image = list.addObject().put("filename", fileName).put("imgid", i).put("split", split);
            ArrayNode sentences = image.putArray("sentences");
            ArrayNode ids = image.putArray("sentids");
            for (String caption : scenes.get(i).captions()) {
                ArrayNode tokens = sentences.addObject().put("raw", caption).put("imgid", i).put("sentid", sentenceId).putArray("tokens");
                List.of(caption.split(" ")).forEach(tokens::add);
                ids.add(sentenceId++);
            }
        }
        Files.createDirectories(root);
        json.writeValue(root.resolve("dataset_flickr30k.json").toFile(), dataset);
    }
}
