package clip.train;

import clip.data.ImagePreprocessor;
import clip.data.ShapeScene;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Generated scenes, rendered once. Every worker generates all of them (they are small), so a
 * step's global batch is drawn from the whole set and each worker takes its slice: training is
 * the same whatever the number of workers.
 */
public final class ShapeImages implements CaptionedImages {
    private final List<ShapeScene> scenes;
    private final float[] pixels;
    private final int imageFloats;
    private final int imageSize;
    private final long seed;

    public ShapeImages(List<ShapeScene> scenes, ImagePreprocessor preprocessor, long seed) {
        this.scenes = scenes;
        this.imageSize = preprocessor.size();
        this.imageFloats = 3 * imageSize * imageSize;
        this.pixels = new float[scenes.size() * imageFloats];
        for (int i = 0; i < scenes.size(); i++) {
            preprocessor.toChw(scenes.get(i).render(imageSize), pixels, i * imageFloats);
        }
        this.seed = seed;
    }

    @Override
    public int size() {
        return scenes.size();
    }

    @Override
    public int splitSize() {
        return scenes.size();
    }

    @Override
    public List<String> captions(int row) {
        return scenes.get(row).captions();
    }

    @Override
    public INDArray images(int[] rows) {
        float[] out = new float[rows.length * imageFloats];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(pixels, rows[i] * imageFloats, out, i * imageFloats, imageFloats);
        }
        return Nd4j.createFromArray(out).reshape(rows.length, 3, imageSize, imageSize);
    }

    @Override
    public INDArray trainingImages(int[] rows, long step) {
        return images(rows);
    }

    @Override
    public BatchSampler.Sample draw(long step, int globalBatch, int rank, int workers) {
        int local = globalBatch / workers;
        return BatchSampler.sample(seed, step, globalBatch, scenes.size(), row -> scenes.get(row).captions().size())
                .slice(rank * local, local);
    }

    @Override
    public void digest(MessageDigest md) {
        ByteBuffer bytes = ByteBuffer.allocate(pixels.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(pixels);
        md.update(bytes.array());
        for (ShapeScene s : scenes) {
            s.captions().forEach(c -> md.update((c + "\n").getBytes(StandardCharsets.UTF_8)));
        }
    }

    public List<ShapeScene> scenes() {
        return scenes;
    }
}
