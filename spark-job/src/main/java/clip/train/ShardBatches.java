package clip.train;

import clip.data.image.ImageDecodeException;
import clip.data.prep.ShardReader;
import clip.data.prep.ShardSchema;
import clip.eval.ImagePipeline;
import clip.eval.TextEncoder;
import clip.io.BadInputException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Training pairs from data-prep shards: the rows of one split are held as their JPEG bytes
 * (what the shards store, ~30 KB an image at 256 px) and decoded, resized and randomly cropped
 * when a step needs them. Every caption of an image is used, one drawn per step.
 */
public final class ShardBatches implements TrainingData {
    private final List<ShardSchema.Row> rows;
    private final ImagePipeline pipeline;
    private final TextEncoder text;
    private final long seed;

    public ShardBatches(List<ShardSchema.Row> rows, ImagePipeline pipeline, TextEncoder text, long seed) {
        this.rows = rows;
        this.pipeline = pipeline;
        this.text = text;
        this.seed = seed;
    }

    /** Every row of {@code split} in the shards under {@code dir}, in manifest order. */
    public static List<ShardSchema.Row> read(String dir, String split, Configuration conf) throws IOException {
        Path root = new Path(dir);
        List<ShardSchema.Row> out = new ArrayList<>();
        for (Path shard : ShardReader.shardsOf(ShardReader.manifest(root, conf), root, split)) {
            out.addAll(ShardReader.read(shard, conf));
        }
        return out;
    }

    @Override
    public int size() {
        return rows.size();
    }

    @Override
    public TrainBatch batch(long step, int globalBatch, int from, int count) {
        BatchSampler.Sample sample = BatchSampler.sample(seed, step, globalBatch, rows.size(),
                row -> rows.get(row).captions().size()).slice(from, count);
        int size = pipeline.size();
        int floats = 3 * size * size;
        float[] pixels = new float[count * floats];
        List<String> captions = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            ShardSchema.Row row = rows.get(sample.rows()[i]);
            // Crops are drawn per (step, image), so they do not depend on which worker decodes the image.
            SplittableRandom crop = new SplittableRandom(seed * 31 + step * 1_000_003L + row.imageId());
            try {
                pipeline.toChwRandomCrop(row.jpeg(), pixels, i * floats, crop);
            } catch (ImageDecodeException e) {
                throw new BadInputException("shard image " + row.imageId() + " (" + row.fileName() + "): " + e.getMessage());
            }
            captions.add(row.captions().get(sample.captions()[i]));
        }
        return new TrainBatch(Nd4j.createFromArray(pixels).reshape(count, 3, size, size), text.encode(captions));
    }
}
