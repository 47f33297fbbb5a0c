package clip.train;

import clip.data.ImagePreprocessor;
import clip.data.ShapeScene;
import clip.model.TextBatch;
import clip.tokenize.BertTokenizer;
import clip.tokenize.Encoding;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Training batches from generated scenes: images are rendered once; each step draws a batch of
 * distinct images and one of each image's captions, both from a generator seeded by
 * (seed, step), so a step's batch does not depend on what ran before it.
 */
public final class ShapeBatches {
    private final List<ShapeScene> scenes;
    private final float[] pixels;
    private final int imageFloats;
    private final int imageSize;
    private final BertTokenizer tokenizer;
    private final int maxTextLength;
    private final long seed;

    public ShapeBatches(List<ShapeScene> scenes, ImagePreprocessor preprocessor, BertTokenizer tokenizer,
                        int maxTextLength, long seed) {
        this.scenes = scenes;
        this.imageSize = preprocessor.size();
        this.imageFloats = 3 * imageSize * imageSize;
        this.pixels = new float[scenes.size() * imageFloats];
        for (int i = 0; i < scenes.size(); i++) {
            preprocessor.toChw(scenes.get(i).render(imageSize), pixels, i * imageFloats);
        }
        this.tokenizer = tokenizer;
        this.maxTextLength = maxTextLength;
        this.seed = seed;
    }

    public int size() {
        return scenes.size();
    }

    /** A batch of {@code batchSize} distinct images for {@code step}, one random caption each. */
    public Batch batch(long step, int batchSize) {
        SplittableRandom r = new SplittableRandom(seed ^ (step * 0x9E3779B97F4A7C15L));
        int n = Math.min(batchSize, scenes.size());
        int[] order = new int[scenes.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        for (int i = 0; i < n; i++) {
            int j = i + r.nextInt(order.length - i);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int[] rows = java.util.Arrays.copyOf(order, n);
        String[] captions = new String[n];
        for (int i = 0; i < n; i++) {
            List<String> all = scenes.get(rows[i]).captions();
            captions[i] = all.get(r.nextInt(all.size()));
        }
        return new Batch(images(rows), texts(captions));
    }

    /** Images of the given rows, [n, 3, S, S]. */
    public INDArray images(int[] rows) {
        float[] out = new float[rows.length * imageFloats];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(pixels, rows[i] * imageFloats, out, i * imageFloats, imageFloats);
        }
        return Nd4j.createFromArray(out).reshape(rows.length, 3, imageSize, imageSize);
    }

    public TextBatch texts(String[] captions) {
        long[] ids = new long[captions.length * maxTextLength];
        long[] mask = new long[ids.length];
        for (int i = 0; i < captions.length; i++) {
            Encoding e = tokenizer.encode(captions[i], maxTextLength, true);
            for (int j = 0; j < maxTextLength; j++) {
                ids[i * maxTextLength + j] = e.inputIds()[j];
                mask[i * maxTextLength + j] = e.attentionMask()[j];
            }
        }
        return new TextBatch(Nd4j.createFromArray(ids).reshape(captions.length, maxTextLength),
                Nd4j.createFromArray(mask).reshape(captions.length, maxTextLength), null);
    }

    public List<ShapeScene> scenes() {
        return scenes;
    }

    /** One step's images and captions (row i of each is a pair). */
    public record Batch(INDArray pixels, TextBatch text) {
        public DataType dataType() {
            return pixels.dataType();
        }
    }
}
