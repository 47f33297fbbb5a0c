package clip.model;

import clip.layers.Init;
import clip.layers.LayerNames;
import clip.layers.LayerNorm;
import clip.layers.Parameter;
import clip.layers.PatchProjection;
import clip.layers.TanhPooler;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * HF {@code ViTModel}: patch embedding + [CLS] + position embeddings, pre-LN encoder, final
 * LayerNorm (so last_hidden_state is normalised), tanh pooler at [CLS].
 */
public final class ViTModel extends TransformerTower<INDArray> {
    private final Parameter clsToken;
    private final Parameter positionEmbeddings;
    private final PatchProjection patches;

    public ViTModel(TowerConfig c, Init init) {
        super(c);
        int tokens = c.patchesPerSide() * c.patchesPerSide() + 1;
        this.clsToken = param("embeddings.cls_token", init.normal(1, 1, c.hidden()));
        this.positionEmbeddings = param("embeddings.position_embeddings", init.normal(1, tokens, c.hidden()));
        this.patches = child("embeddings.patch_embeddings.projection",
                new PatchProjection(c.channels(), c.patchSize(), c.hidden(), true, init));
        encoder("encoder", new Encoder(c, true, LayerNames.VIT, "layer", init));
        lastNorm("layernorm", new LayerNorm(c.hidden(), c.layerNormEps(), init));
        head("pooler", new TanhPooler(c.hidden(), init));
    }

    @Override
    protected INDArray embed(INDArray pixels) {
        INDArray x = VisionEmbeddings.withClassToken(patches.forward(pixels), clsToken.value().reshape(-1));
        VisionEmbeddings.addPositions(x, positionEmbeddings.value());
        return x;
    }

    @Override
    protected void backwardEmbeddings(INDArray d) {
        if (positionEmbeddings.trainable()) {
            positionEmbeddings.grad().addi(d.sum(0).reshape(positionEmbeddings.value().shape()));
        }
        if (clsToken.trainable()) {
            clsToken.grad().addi(d.get(NDArrayIndex.all(), NDArrayIndex.point(0), NDArrayIndex.all()).sum(0)
                    .reshape(clsToken.value().shape()));
        }
        patches.backward(d.get(NDArrayIndex.all(), NDArrayIndex.interval(1, d.size(1)), NDArrayIndex.all()).dup('c'));
    }
}
