package clip.eval;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Zero-shot classification with a prompt-template ensemble, as in the CLIP paper: a class's
 * embedding is the mean of its prompts' embeddings, renormalised; an image's class is the one
 * whose embedding is nearest.
 */
public final class ZeroShot {
    private ZeroShot() {
    }

    /**
     * @param prompts [classes * templates, D], L2-normalised: class k's prompts are rows
     *                {@code [k * templates, (k + 1) * templates)}
     * @return [classes, D], L2-normalised
     */
    public static INDArray classEmbeddings(INDArray prompts, int classes, int templates) {
        if (prompts.size(0) != (long) classes * templates) {
            throw new IllegalArgumentException(prompts.size(0) + " prompt embeddings for " + classes + " classes x " + templates
                    + " templates");
        }
        INDArray out = Nd4j.create(prompts.dataType(), classes, prompts.size(1));
        for (int k = 0; k < classes; k++) {
            INDArray mean = prompts.get(NDArrayIndex.interval(k * templates, (k + 1) * templates), NDArrayIndex.all()).mean(0);
            out.getRow(k).assign(mean.div(mean.norm2Number()));
        }
        return out;
    }

    /**
     * The 1-based rank of each labelled image's true class (images labelled -1 are left out).
     * Pessimistic on ties, like the retrieval ranks: a class scoring the same as the true one
     * is counted ahead of it, so a model that scores every class equal gets no credit.
     */
    public static Ranks ranks(INDArray images, INDArray classes, int[] labels) {
        int[] rows = java.util.stream.IntStream.range(0, labels.length).filter(i -> labels[i] >= 0).toArray();
        float[][] scores = Nd4j.gemm(images.getRows(rows), classes, false, true).toFloatMatrix();
        int[] ranks = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            int truth = labels[rows[i]];
            ranks[i] = 1;
            for (int k = 0; k < scores[i].length; k++) {
                if (k != truth && scores[i][k] >= scores[i][truth]) {
                    ranks[i]++;
                }
            }
        }
        return new Ranks(ranks);
    }

    public static Metrics.ZeroShotAccuracy accuracy(INDArray images, INDArray classes, int[] labels) {
        Ranks r = ranks(images, classes, labels);
        return new Metrics.ZeroShotAccuracy(r.recallAt(1), r.recallAt(5), (int) classes.size(0));
    }
}
