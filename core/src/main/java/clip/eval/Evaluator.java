package clip.eval;

import clip.data.TextEncoder;

import clip.model.ContrastiveModel;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Retrieval both ways over every caption of every image, and zero-shot classification with a
 * prompt-template ensemble (text embeddings averaged per class, then renormalised, as in the
 * CLIP paper). Produces the metrics.json of training and of {@code bin/clip eval}.
 */
public final class Evaluator {
    /**
     * The metrics, the time the retrieval ranking took, and the embeddings they came from (rows
     * L2-normalised): images, every caption (image of each in {@code captionOwner}), and one
     * averaged prompt embedding per zero-shot class (null without classes).
     */
    public record Report(ObjectNode metrics, double retrievalSeconds, INDArray images, INDArray captions, int[] captionOwner,
                         INDArray classes) {
    }

    private final Embedder embedder;

    /** @param progress where to print embedding progress on long runs, or null */
    public Evaluator(ContrastiveModel model, TextEncoder text, int batch, PrintStream progress) {
        this.embedder = new Embedder(model, text, batch, "eval", progress);
    }

    /**
     * @param in        images, captions, and zero-shot labels (-1: none; no classes: zero-shot reported as null)
     * @param templates prompts with {} for the class name
     */
    public Report evaluate(EvalInputs in, List<String> templates) throws IOException {
        Embedder.PixelSource images = in.pixels();
        List<List<String>> captions = in.captions();
        List<String> flat = new ArrayList<>();
        List<Integer> owner = new ArrayList<>();
        for (int i = 0; i < captions.size(); i++) {
            for (String c : captions.get(i)) {
                flat.add(c);
                owner.add(i);
            }
        }
        INDArray imageEmb = embedder.images(images);
        INDArray textEmb = embedder.texts(flat, "captions");
        long start = System.nanoTime();
        Retrieval.Result r = Retrieval.evaluate(imageEmb, textEmb, owner.stream().mapToInt(Integer::intValue).toArray());
        double retrievalSeconds = (System.nanoTime() - start) / 1e9;

        ObjectMapper json = new ObjectMapper();
        ObjectNode out = json.createObjectNode();
        out.set("image_to_text", ranks(json, r.imageToText()));
        out.set("text_to_image", ranks(json, r.textToImage()));
        boolean labelled = java.util.Arrays.stream(in.labels()).anyMatch(l -> l >= 0);
        INDArray classEmb = in.classes().isEmpty() || !labelled ? null : classEmbeddings(in.classes(), templates, imageEmb);
        out.set("zero_shot", classEmb == null ? null : zeroShot(json, imageEmb, in.labels(), in.classes(), classEmb));
        out.put("images", images.count()).put("captions", flat.size());
        return new Report(out, retrievalSeconds, imageEmb, textEmb, owner.stream().mapToInt(Integer::intValue).toArray(), classEmb);
    }

    private INDArray classEmbeddings(List<String> classes, List<String> templates, INDArray imageEmb) {
        List<String> prompts = new ArrayList<>();
        for (String cls : classes) {
            for (String t : templates) {
                prompts.add(t.replace("{}", cls));
            }
        }
        INDArray promptEmb = embedder.texts(prompts, "prompts");
        INDArray classEmb = Nd4j.create(imageEmb.dataType(), classes.size(), imageEmb.size(1));
        for (int k = 0; k < classes.size(); k++) {
            INDArray mean = promptEmb.get(NDArrayIndex.interval(k * templates.size(), (k + 1) * templates.size()), NDArrayIndex.all()).mean(0);
            classEmb.getRow(k).assign(mean.div(mean.norm2Number()));
        }
        return classEmb;
    }

    private ObjectNode zeroShot(ObjectMapper json, INDArray imageEmb, int[] labels, List<String> classes, INDArray classEmb) {
        List<Integer> labelled = new ArrayList<>();
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] >= 0) {
                labelled.add(i);
            }
        }
        int[] rows = labelled.stream().mapToInt(Integer::intValue).toArray();
        float[][] scores = Nd4j.gemm(imageEmb.getRows(rows), classEmb, false, true).toFloatMatrix();
        int[] ranks = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            int truth = labels[rows[i]];
            ranks[i] = 1;
            for (int k = 0; k < scores[i].length; k++) {
                // Pessimistic on ties, like the retrieval ranks: a tie is not a hit.
                if (k != truth && scores[i][k] >= scores[i][truth]) {
                    ranks[i]++;
                }
            }
        }
        Ranks zs = new Ranks(ranks);
        return json.createObjectNode().put("top1", zs.recallAt(1)).put("top5", zs.recallAt(5)).put("classes", classes.size());
    }

    private static ObjectNode ranks(ObjectMapper json, Ranks r) {
        return json.createObjectNode().put("R@1", r.recallAt(1)).put("R@5", r.recallAt(5)).put("R@10", r.recallAt(10))
                .put("median_rank", r.medianRank());
    }
}
