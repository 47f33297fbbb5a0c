package clip.eval;

import clip.data.image.ImageDecodeException;
import clip.io.BadInputException;
import java.io.IOException;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** What {@link Evaluator} ranks: the images' pixels, every caption of each image, and zero-shot labels. */
public record EvalInputs(Embedder.PixelSource pixels, List<List<String>> captions, int[] labels, List<String> classes) {
    /** An evaluation set's images prepared for a model as its image processor would. */
    public static EvalInputs of(EvalSet set, ImagePipeline pipeline) {
        int floats = 3 * pipeline.size() * pipeline.size();
        Embedder.PixelSource pixels = new Embedder.PixelSource() {
            @Override
            public int count() {
                return set.items().size();
            }

            @Override
            public INDArray pixels(int from, int to) throws IOException {
                float[] buffer = new float[(to - from) * floats];
                for (int i = from; i < to; i++) {
                    EvalSet.Item item = set.items().get(i);
                    try {
                        pipeline.toChw(item.bytes().read(), buffer, (i - from) * floats);
                    } catch (ImageDecodeException e) {
                        throw new BadInputException("image " + item.imageId() + " (" + item.file() + "): " + e.getMessage());
                    }
                }
                return Nd4j.createFromArray(buffer).reshape(to - from, 3, pipeline.size(), pipeline.size());
            }
        };
        return new EvalInputs(pixels, set.items().stream().map(EvalSet.Item::captions).toList(),
                set.items().stream().mapToInt(EvalSet.Item::label).toArray(), set.classes());
    }
}
