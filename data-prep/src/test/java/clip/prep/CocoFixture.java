package clip.prep;

import clip.prep.synth.SyntheticCoco;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A small generated COCO-layout dataset that tests can damage in the ways real downloads are damaged. */
final class CocoFixture {
    static final ObjectMapper JSON = new ObjectMapper();
    final Path root;

    CocoFixture(Path root, int train, int val) throws IOException {
        this.root = root;
        new SyntheticCoco(64).write(root, train, val, 7);
    }

    Path image(String split, long id) {
        return root.resolve(split + "2017").resolve(String.format("%012d.jpg", id));
    }

    ObjectNode captions(String split) throws IOException {
        return (ObjectNode) JSON.readTree(root.resolve("annotations/captions_" + split + "2017.json").toFile());
    }

    void saveCaptions(String split, ObjectNode json) throws IOException {
        JSON.writeValue(root.resolve("annotations/captions_" + split + "2017.json").toFile(), json);
    }

    /** Applies {@code edit} to a split's caption file. */
    void editCaptions(String split, JsonEdit edit) throws IOException {
        ObjectNode json = captions(split);
        edit.apply((ArrayNode) json.get("images"), (ArrayNode) json.get("annotations"));
        saveCaptions(split, json);
    }

    void truncate(Path file, int keep) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, keep));
    }

    interface JsonEdit {
        void apply(ArrayNode images, ArrayNode annotations);
    }
}
