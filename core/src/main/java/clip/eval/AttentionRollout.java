package clip.eval;

import clip.model.Tower;
import clip.layers.TransformerLayer;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Attention rollout (Abnar &amp; Zuidema 2020) for a ViT tower: how much of the [CLS] token's final
 * representation flows from each image patch. Each layer's attention is averaged over heads, the
 * residual connection is accounted for as an identity term (A' = rownorm(A + I) = 0.5 A + 0.5 I),
 * and the layers are chained R = A'_L ... A'_1; the [CLS] row of R over the patch tokens is the map.
 *
 * <p>Computed in double: the product of L row-stochastic matrices is well conditioned, but the map
 * is min-max stretched afterwards, which magnifies float32 rounding in near-uniform maps.
 */
public final class AttentionRollout {
    private AttentionRollout() {
    }

    /**
     * Runs {@code vision} on one image and returns its rollout map, [gridHeight, gridWidth] in [0, 1].
     * @param pixels [1, C, H, W], preprocessed as the tower expects
     */
    public static INDArray ofImage(Tower<INDArray> vision, INDArray pixels, int gridHeight, int gridWidth) {
        if (pixels.rank() != 4 || pixels.size(0) != 1) {
            throw new IllegalArgumentException("expected one image [1, C, H, W], got " + java.util.Arrays.toString(pixels.shape()));
        }
        vision.forward(pixels);
        List<INDArray> probabilities = new ArrayList<>();
        for (TransformerLayer layer : vision.layers()) {
            probabilities.add(layer.attention().attentionProbabilities());
        }
        return clsMap(rollout(probabilities), gridHeight, gridWidth);
    }

    /**
     * @param layerProbabilities per layer, first layer first: attention probabilities [1, heads, T, T]
     *     (rows sum to 1), as {@link clip.layers.SelfAttention#attentionProbabilities()} gives them
     * @return the rollout R = A'_L ... A'_1, [T, T], double; its rows sum to 1
     */
    public static INDArray rollout(List<INDArray> layerProbabilities) {
        if (layerProbabilities.isEmpty()) {
            throw new IllegalArgumentException("no layers to roll out");
        }
        INDArray r = null;
        for (INDArray p : layerProbabilities) {
            if (p.rank() != 4 || p.size(0) != 1 || p.size(2) != p.size(3)) {
                throw new IllegalArgumentException("expected attention probabilities [1, heads, T, T], got "
                        + java.util.Arrays.toString(p.shape()));
            }
            long t = p.size(2);
            INDArray a = p.castTo(DataType.DOUBLE).mean(1).reshape('c', t, t)
                    .addi(Nd4j.eye(t).castTo(DataType.DOUBLE));
            a.diviColumnVector(a.sum(1).reshape(t, 1));
            r = r == null ? a : a.mmul(r);
        }
        return r;
    }

    /**
     * The [CLS] row of {@code rollout} over the patch tokens 1..T-1, as the patch grid (row-major,
     * as the patch embedding flattens it), min-max normalised to [0, 1]; all zeros when the row is flat.
     */
    public static INDArray clsMap(INDArray rollout, int gridHeight, int gridWidth) {
        long patches = rollout.size(1) - 1;
        if (patches != (long) gridHeight * gridWidth) {
            throw new IllegalArgumentException(patches + " patch tokens do not fill a " + gridHeight + "x" + gridWidth + " grid");
        }
        INDArray row = rollout.get(NDArrayIndex.point(0), NDArrayIndex.interval(1, patches + 1)).dup('c');
        double min = row.minNumber().doubleValue();
        double range = row.maxNumber().doubleValue() - min;
        INDArray map = range > 0 ? row.subi(min).divi(range) : row.muli(0);
        return map.reshape('c', gridHeight, gridWidth);
    }
}
