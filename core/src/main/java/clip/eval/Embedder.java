package clip.eval;

import clip.data.TextEncoder;

import clip.model.ContrastiveModel;
import clip.model.TextBatch;
import clip.layers.StepMemory;
import clip.layers.VectorMath;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Images and texts to a model's L2-normalised embeddings, a batch at a time; each batch's
 * temporaries live in the reused step workspace and only the embeddings are kept. Texts are
 * padded to their batch's longest, not to the tokenizer's fixed length (same embeddings, a
 * fraction of the work for short captions).
 */
public final class Embedder {
    /**
     * Fewer images or texts than this are embedded without compiling the kernels first: a search
     * query or a few prompts finish long before C2 would compile them, and compiling first took
     * 1.3-1.5 s of a core, a third of a text search's time.
     */
    private static final int COMPILE_FIRST_MIN = 256;

    /** Model-ready pixels for images {@code [from, to)} of a list of images. */
    public interface PixelSource {
        int count();

        INDArray pixels(int from, int to) throws IOException;
    }

    private final ContrastiveModel model;
    private final TextEncoder text;
    private final int batch;
    private final String label;
    private final PrintStream progress;

    /**
     * @param label    the prefix of progress lines (eval, embed)
     * @param progress where to print a line after each batch, or null for none
     */
    public Embedder(ContrastiveModel model, TextEncoder text, int batch, String label, PrintStream progress) {
        this.model = model;
        this.text = text;
        this.batch = batch;
        this.label = label;
        this.progress = progress;
    }

    /**
     * [count, D], one row per image in order. The next batch's pixels (JPEG decoding, resizing)
     * are made on another thread while this batch's forward pass runs; the same pixels in the same
     * order, so the same embeddings.
     */
    public INDArray images(PixelSource images) throws IOException {
        compileFirstFor(images.count());
        List<INDArray> parts = new ArrayList<>();
        long start = System.nanoTime();
        try (Prefetch<INDArray> next = new Prefetch<>("clip-embed-decode")) {
            if (images.count() > 0) {
                next.request(() -> images.pixels(0, Math.min(images.count(), batch)));
            }
            for (int from = 0; from < images.count(); from += batch) {
                int to = Math.min(images.count(), from + batch);
                INDArray pixels = next.take();
                if (to < images.count()) {
                    int after = Math.min(images.count(), to + batch);
                    next.request(() -> images.pixels(to, after));
                }
                try (var ws = StepMemory.openForwardOnly()) {
                    INDArray e = model.encodeImages(pixels);
                    parts.add(StepMemory.outside(e::detach));
                }
                report("images", to, images.count(), start);
            }
        }
        return Nd4j.vstack(parts.toArray(new INDArray[0]));
    }

    /**
     * [texts, D], one row per text in order; the next batch is tokenized on another thread while
     * this one's forward pass runs. Texts are batched in order of length (characters, a stand-in
     * for tokens) and the rows put back in the given order: a batch is padded to its longest
     * text, so batches of mixed lengths computed padding that attention then masked out (a
     * quarter of the tokens of generated captions in file order). Padding never changes a row's
     * value, so only the products' rounding depends on the order.
     *
     * @param what what the texts are, for progress lines (captions, prompts)
     */
    public INDArray texts(List<String> texts, String what) {
        compileFirstFor(texts.size());
        int[] byLength = IntStream.range(0, texts.size()).boxed()
                .sorted(Comparator.comparingInt((Integer i) -> texts.get(i).length()).thenComparingInt(i -> i))
                .mapToInt(Integer::intValue).toArray();
        int[] positionOf = new int[byLength.length];
        for (int j = 0; j < byLength.length; j++) {
            positionOf[byLength[j]] = j;
        }
        INDArray sorted = inOrder(Arrays.stream(byLength).mapToObj(texts::get).toList(), what);
        return texts.isEmpty() ? sorted : Nd4j.pullRows(sorted, 1, positionOf);
    }

    private INDArray inOrder(List<String> texts, String what) {
        List<INDArray> parts = new ArrayList<>();
        long start = System.nanoTime();
        try (Prefetch<TextBatch> next = new Prefetch<>("clip-embed-tokenize")) {
            if (!texts.isEmpty()) {
                next.request(() -> text.encodeToLongest(texts.subList(0, Math.min(texts.size(), batch))));
            }
            for (int from = 0; from < texts.size(); from += batch) {
                int to = Math.min(texts.size(), from + batch);
                TextBatch tokens = next.takeUnchecked();
                if (to < texts.size()) {
                    int after = Math.min(texts.size(), to + batch);
                    next.request(() -> text.encodeToLongest(texts.subList(to, after)));
                }
                try (var ws = StepMemory.openForwardOnly()) {
                    INDArray e = model.encodeTexts(tokens);
                    parts.add(StepMemory.outside(e::detach));
                }
                report(what, to, texts.size(), start);
            }
        }
        return Nd4j.vstack(parts.toArray(new INDArray[0]));
    }

    /**
     * Before a pass of {@code items} images or texts, when it is long: the kernels C2 was seen to
     * compile badly when it met them mid-run ({@link VectorMath#compileForwardKernels}), the
     * model's; before the decode or tokenize thread starts, so that they compile on one thread.
     * Every pass calls it; a caller that times its passes calls it first, so that the JVM's
     * one-time compilation is not counted in the first pass (once compiled, a call takes about
     * 2 ms).
     */
    public void compileFirstFor(int items) {
        if (items >= COMPILE_FIRST_MIN) {
            VectorMath.compileForwardKernels(model.activationKinds());
        }
    }

    private void report(String what, int done, int total, long start) {
        if (progress == null) {
            return;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        progress.printf("%s: embedded %d/%d %s (%.1f/s)%n", label, done, total, what, done / Math.max(seconds, 1e-9));
    }
}
