package clip.cli;

import clip.testutil.Golden;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** What the command tests run on: the golden dual encoder as a complete model folder, and a small generated dataset run through prep. */
public final class TestData {
    private TestData() {
    }

    /** The golden dual encoder (random weights) with a WordPiece vocabulary that knows the generated captions' words. */
    public static Path dualEncoder(Path dir) throws IOException {
        Path golden = Golden.path("dual");
        Files.createDirectories(dir);
        for (String f : List.of("config.json", "model.safetensors")) {
            Files.copy(golden.resolve(f), dir.resolve(f));
        }
        // The golden folder has no tokenizer files: any WordPiece vocabulary of the model's 1,000 entries will do.
        List<String> vocab = new ArrayList<>(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"));
        vocab.addAll(clip.data.SyntheticShapes.words());
        for (int i = vocab.size(); i < 1000; i++) {
            vocab.add("unused" + i);
        }
        Files.write(dir.resolve("vocab.txt"), vocab);
        return dir;
    }

    /** A generated COCO-layout dataset under {@code coco} with {@code val} validation images, prepped into {@code shards}. */
    public static void cocoAndShards(Path coco, Path shards, int val) {
        assertEquals(0, new Cli().register(new GenerateCommand()).run(new String[] {"generate", "--out", coco.toString(),
                "--train", "2", "--val", Integer.toString(val), "--long-side", "48"}, System.out, System.err));
        assertEquals(0, new Cli().register(new PrepCommand(), "strict").run(new String[] {"prep", "--format", "coco", "--root",
                coco.toString(), "--out", shards.toString(), "--image-size", "32", "--master", "local[1]"}, System.out, System.err));
    }

    /** An {@code array<float>} column of a Spark row, such as an embedding. */
    public static float[] floats(org.apache.spark.sql.Row row, String column) {
        List<Float> values = row.getList(row.fieldIndex(column));
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i);
        }
        return out;
    }
}
