package clip.eval;

import clip.data.TextEncoder;
import clip.model.ContrastiveModel;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Retrieval both ways over every caption of every image, and zero-shot classification with a
 * prompt-template ensemble. The one code path behind training's validation, {@code bin/clip eval}
 * and retraining's comparison, so the same model, split and templates give the same metrics.
 *
 * <p>Embeddings are not quite independent of how inputs are batched (the matrix kernels and a
 * text batch's padding width change the last bits), so the batch size is fixed here rather than
 * chosen per caller, and each distinct caption is embedded once: generated and real captions
 * repeat ("a picture of a red circle"), and copies must tie exactly, not by chance of batching.
 */
public final class Evaluator {
    /** Images or texts per forward pass, for every evaluation. */
    public static final int BATCH = 64;

    /**
     * The metrics, the time the retrieval ranking took, and the embeddings they came from (rows
     * L2-normalised): images, every caption (image of each in {@code captionOwner}), and one
     * averaged prompt embedding per zero-shot class (null without classes).
     */
    public record Report(Metrics metrics, double retrievalSeconds, INDArray images, INDArray captions, int[] captionOwner,
                         INDArray classes) {
    }

    private final Embedder embedder;

    /** @param progress where to print embedding progress on long runs, or null */
    public Evaluator(ContrastiveModel model, TextEncoder text, PrintStream progress) {
        this.embedder = new Embedder(model, text, BATCH, "eval", progress);
    }

    /**
     * @param in        images, captions, and zero-shot labels (-1: none; no classes: zero-shot reported as null)
     * @param templates prompts with {} for the class name
     */
    public Report evaluate(EvalInputs in, Templates templates) throws IOException {
        List<List<String>> captions = in.captions();
        List<String> distinct = new ArrayList<>();
        Map<String, Integer> rowOf = new HashMap<>();
        List<Integer> rows = new ArrayList<>();
        List<Integer> owner = new ArrayList<>();
        for (int i = 0; i < captions.size(); i++) {
            for (String c : captions.get(i)) {
                rows.add(rowOf.computeIfAbsent(c, k -> {
                    distinct.add(k);
                    return distinct.size() - 1;
                }));
                owner.add(i);
            }
        }
        int[] imageOfCaption = owner.stream().mapToInt(Integer::intValue).toArray();
        // Before either pass when either is long: after a short image pass the kernels would be
        // compiled mid-run, once other vector code has been profiled, which is when C2 was seen
        // to box their stores (VectorMath#compileForwardKernels).
        embedder.compileFirstFor(Math.max(in.pixels().count(), distinct.size()));
        INDArray imageEmb = embedder.images(in.pixels());
        INDArray textEmb = embedder.texts(distinct, "distinct captions").getRows(rows.stream().mapToInt(Integer::intValue).toArray());
        long start = System.nanoTime();
        Retrieval.Result r = Retrieval.evaluate(imageEmb, textEmb, imageOfCaption);
        double retrievalSeconds = (System.nanoTime() - start) / 1e9;

        boolean labelled = Arrays.stream(in.labels()).anyMatch(l -> l >= 0);
        INDArray classEmb = in.classes().isEmpty() || !labelled ? null : classEmbeddings(in.classes(), templates.prompts());
        Metrics metrics = new Metrics(Metrics.Recalls.of(r.imageToText()), Metrics.Recalls.of(r.textToImage()),
                classEmb == null ? null : ZeroShot.accuracy(imageEmb, classEmb, in.labels()), in.pixels().count(), imageOfCaption.length);
        return new Report(metrics, retrievalSeconds, imageEmb, textEmb, imageOfCaption, classEmb);
    }

    private INDArray classEmbeddings(List<String> classes, List<String> templates) {
        List<String> prompts = new ArrayList<>();
        for (String cls : classes) {
            for (String t : templates) {
                prompts.add(t.replace("{}", cls));
            }
        }
        return ZeroShot.classEmbeddings(embedder.texts(prompts, "prompts"), classes.size(), templates.size());
    }
}
