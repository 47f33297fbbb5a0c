package clip.sparkml;

import clip.data.ImagePipeline;
import clip.embed.ModelFolder;
import clip.eval.Embedder;
import clip.eval.EncoderModel;
import clip.eval.ZeroShot;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A model folder loaded once in this JVM and shared by every task and query that names it: the
 * executor reads the folder itself (local, HDFS or any Hadoop URI), so weights never pass through
 * the driver. The model keeps activations between calls, so encoding is one call at a time; image
 * decoding and resizing, the larger share of the work for small models, run outside that lock.
 */
final class LoadedModel {
    /*
     * JVM-wide on purpose: Spark gives an executor's tasks no other place that outlives a task, and
     * loading per task would read the weights once per partition. Keyed by folder and text length.
     */
    private static final Map<String, LoadedModel> LOADED = new ConcurrentHashMap<>();

    private final EncoderModel encoder;
    private final Embedder embedder;
    private final Map<List<List<String>>, float[][]> classEmbeddings = new ConcurrentHashMap<>();

    private LoadedModel(EncoderModel encoder) {
        this.encoder = encoder;
        this.embedder = encoder.embedder(Integer.MAX_VALUE, "sparkml", null);
    }

    /** The model of {@code location} (any Hadoop URI), loaded on first use in this JVM. */
    static LoadedModel of(String location, int maxTextLength, Configuration conf) {
        return LOADED.computeIfAbsent(qualified(location, conf) + "#" + maxTextLength, key -> {
            try {
                return new LoadedModel(ModelFolder.read(location, conf).load(maxTextLength, "the Spark transformer", conf));
            } catch (IOException e) {
                throw new UncheckedIOException(location + ": " + e.getMessage(), e);
            }
        });
    }

    private static String qualified(String location, Configuration conf) {
        try {
            Path dir = new Path(location);
            return dir.getFileSystem(conf).makeQualified(dir).toString();
        } catch (IOException e) {
            throw new UncheckedIOException(location + ": " + e.getMessage(), e);
        }
    }

    ImagePipeline images() {
        return encoder.images();
    }

    /** L2-normalised embeddings of {@code count} images of model-ready pixels, one row each. */
    float[][] embedImages(float[] pixels, int count) {
        int size = encoder.images().size();
        INDArray chw = Nd4j.createFromArray(pixels).reshape(count, 3, size, size);
        Embedder.PixelSource source = new Embedder.PixelSource() {
            @Override
            public int count() {
                return count;
            }

            @Override
            public INDArray pixels(int from, int to) {
                return chw;
            }
        };
        synchronized (this) {
            try {
                return rows(embedder.images(source));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** L2-normalised embeddings of texts, tokenized as eval and embed tokenize them. */
    float[][] embedTexts(List<String> texts) {
        synchronized (this) {
            return rows(embedder.texts(texts, "texts"));
        }
    }

    /** Zero-shot class embeddings (mean of each class's prompts, renormalised), computed once per class list and templates. */
    float[][] classEmbeddings(List<String> classes, List<String> templates) {
        return classEmbeddings.computeIfAbsent(List.of(classes, templates), key -> {
            List<String> prompts = classes.stream().flatMap(c -> templates.stream().map(t -> t.replace("{}", c))).toList();
            synchronized (this) {
                INDArray p = embedder.texts(prompts, "prompts");
                return rows(ZeroShot.classEmbeddings(p, classes.size(), templates.size()));
            }
        });
    }

    /** exp(logit_scale): what turns cosine similarities into zero-shot logits, as CLIP's logits_per_image. */
    double logitScale() {
        return Math.exp(encoder.model().logitScale().value().getDouble(0));
    }

    private static float[][] rows(INDArray m) {
        return m.castTo(DataType.FLOAT).toFloatMatrix();
    }
}
