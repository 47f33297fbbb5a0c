package clip.train;

import clip.data.ImagePreprocessor;
import clip.data.ShapeScene;
import clip.eval.TextEncoder;
import clip.model.TextBatch;
import clip.tokenize.BertTokenizer;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Training batches from generated scenes: images are rendered once; each step draws a batch of
 * distinct images and one of each image's captions, both from a generator seeded by
 * (seed, step), so a step's batch does not depend on what ran before it.
 */
public final class ShapeBatches implements TrainingData {
    private final List<ShapeScene> scenes;
    private final float[] pixels;
    private final int imageFloats;
    private final int imageSize;
    private final TextEncoder text;
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
        this.text = TextEncoder.bert(tokenizer, maxTextLength);
        this.seed = seed;
    }

    @Override
    public int size() {
        return scenes.size();
    }

    @Override
    public TrainBatch batch(long step, int globalBatch, int from, int count) {
        BatchSampler.Sample sample = BatchSampler.sample(seed, step, globalBatch, scenes.size(),
                row -> scenes.get(row).captions().size()).slice(from, count);
        String[] captions = new String[count];
        for (int i = 0; i < count; i++) {
            captions[i] = scenes.get(sample.rows()[i]).captions().get(sample.captions()[i]);
        }
        return new TrainBatch(images(sample.rows()), texts(captions));
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
        return text.encode(List.of(captions));
    }

    public TextEncoder textEncoder() {
        return text;
    }

    public List<ShapeScene> scenes() {
        return scenes;
    }
}
