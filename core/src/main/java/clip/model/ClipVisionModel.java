package clip.model;

import clip.layers.Init;
import clip.layers.LayerNames;
import clip.layers.LayerNorm;
import clip.layers.Parameter;
import clip.layers.PatchProjection;
import clip.layers.PositionEmbedding;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * HF {@code CLIPVisionTransformer}: class embedding + bias-free patch conv + positions, then
 * {@code pre_layrnorm} (HF's spelling), pre-LN encoder; pooled = post_layernorm(CLS).
 * last_hidden_state is the encoder output, not post-normalised.
 */
public final class ClipVisionModel extends TransformerTower<INDArray> {
    private final Parameter classEmbedding;
    private final PatchProjection patches;
    private final PositionEmbedding positions;
    private final LayerNorm preNorm;

    public ClipVisionModel(TowerConfig c, Init init) {
        super(c);
        int tokens = c.patchesPerSide() * c.patchesPerSide() + 1;
        this.classEmbedding = param("embeddings.class_embedding", init.normal(c.hidden()));
        this.patches = child("embeddings.patch_embedding", new PatchProjection(c.channels(), c.patchSize(), c.hidden(), false, init));
        this.positions = child("embeddings.position_embedding", new PositionEmbedding(tokens, c.hidden(), init));
        this.preNorm = child("pre_layrnorm", new LayerNorm(c.hidden(), c.layerNormEps(), init));
        encoder("encoder", new Encoder(c, true, LayerNames.CLIP, "layers", init));
        head("post_layernorm", new LayerNorm(c.hidden(), c.layerNormEps(), init));
    }

    @Override
    protected INDArray embed(INDArray pixels) {
        return preNorm.forward(positions.addTo(VisionEmbeddings.withClassToken(patches.forward(pixels), classEmbedding.value())));
    }

    @Override
    protected void backwardEmbeddings(INDArray d) {
        d = preNorm.backward(d);
        positions.backward(d);
        if (classEmbedding.trainable()) {
            classEmbedding.grad().addi(d.get(NDArrayIndex.all(), NDArrayIndex.point(0), NDArrayIndex.all()).sum(0));
        }
        patches.backward(d.get(NDArrayIndex.all(), NDArrayIndex.interval(1, d.size(1)), NDArrayIndex.all()).dup('c'));
    }
}
