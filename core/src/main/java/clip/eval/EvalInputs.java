package clip.eval;

import java.util.List;

/** What {@link Evaluator} ranks: the images' pixels, every caption of each image, and zero-shot labels. */
public record EvalInputs(Embedder.PixelSource pixels, List<List<String>> captions, int[] labels, List<String> classes) {
}
