package clip.train;

import clip.data.ShapeScene;
import clip.eval.Embedder;
import clip.eval.EvalInputs;
import java.util.List;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The generated validation split as evaluation inputs: every caption, and each image's shape as its zero-shot class. */
final class ShapeEvalInputs {
    private ShapeEvalInputs() {
    }

    static EvalInputs inputs(ShapeImages val, List<String> classes) {
        List<ShapeScene> scenes = val.scenes();
        Embedder.PixelSource pixels = new Embedder.PixelSource() {
            @Override
            public int count() {
                return scenes.size();
            }

            @Override
            public INDArray pixels(int from, int to) {
                return val.images(IntStream.range(from, to).toArray());
            }
        };
        return new EvalInputs(pixels, scenes.stream().map(ShapeScene::captions).toList(),
                scenes.stream().mapToInt(s -> classes.indexOf(s.category())).toArray(), classes);
    }
}
