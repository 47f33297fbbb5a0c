package clip.model;

import clip.layers.Init;
import clip.layers.Module;
import clip.layers.Parameter;

import clip.layers.LayerNames;
import clip.layers.LayerNorm;
import clip.layers.PatchProjection;
import clip.layers.PositionEmbedding;
import clip.layers.TokenPooling;
import clip.layers.TransformerLayer;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * HF {@code CLIPVisionTransformer}: class embedding + bias-free patch conv + positions, then
 * {@code pre_layrnorm} (HF's spelling), pre-LN encoder; pooled = post_layernorm(CLS).
 * last_hidden_state is the encoder output, not post-normalised.
 */
public final class ClipVisionModel extends Module implements Tower<INDArray> {
    private final TowerConfig config;
    private final Parameter classEmbedding;
    private final PatchProjection patches;
    private final PositionEmbedding positions;
    private final LayerNorm preNorm;
    private final Encoder encoder;
    private final LayerNorm postNorm;
    private final TokenPooling cls = new TokenPooling();
    private boolean pooledOnly;

    public ClipVisionModel(TowerConfig c, Init init) {
        this.config = c;
        int tokens = c.patchesPerSide() * c.patchesPerSide() + 1;
        this.classEmbedding = param("embeddings.class_embedding", init.normal(c.hidden()));
        this.patches = child("embeddings.patch_embedding", new PatchProjection(c.channels(), c.patchSize(), c.hidden(), false, init));
        this.positions = child("embeddings.position_embedding", new PositionEmbedding(tokens, c.hidden(), init));
        this.preNorm = child("pre_layrnorm", new LayerNorm(c.hidden(), c.layerNormEps(), init));
        this.encoder = child("encoder", new Encoder(c, true, LayerNames.CLIP, "layers", init));
        this.postNorm = child("post_layernorm", new LayerNorm(c.hidden(), c.layerNormEps(), init));
    }

    @Override
    public TowerOutput forward(INDArray pixels) {
        pooledOnly = false;
        INDArray x = embed(pixels);
        List<INDArray> hidden = new ArrayList<>();
        hidden.add(x);
        INDArray last = encoder.forward(x, null, hidden);
        INDArray pooled = postNorm.forward(cls.forward(last, TokenPooling.first(last.size(0))));
        return new TowerOutput(hidden, last, pooled);
    }

    @Override
    public TowerOutput forwardPooled(INDArray pixels) {
        pooledOnly = true;
        INDArray first = encoder.forwardRows(embed(pixels), null, TokenPooling.first(pixels.size(0)));
        return TowerOutput.pooledOnly(postNorm.forward(first));
    }

    private INDArray embed(INDArray pixels) {
        return preNorm.forward(positions.addTo(VisionEmbeddings.withClassToken(patches.forward(pixels), classEmbedding.value())));
    }

    @Override
    public void backward(INDArray dLast, INDArray dPooled) {
        INDArray d = pooledOnly ? postNorm.backward(TowerGradient.pooledOnly(dLast, dPooled))
                : TowerGradient.merge(dLast, dPooled == null ? null : cls.backward(postNorm.backward(dPooled)));
        d = preNorm.backward(encoder.backward(d));
        positions.backward(d);
        if (classEmbedding.trainable()) {
            classEmbedding.grad().addi(d.get(NDArrayIndex.all(), NDArrayIndex.point(0), NDArrayIndex.all()).sum(0));
        }
        patches.backward(d.get(NDArrayIndex.all(), NDArrayIndex.interval(1, d.size(1)), NDArrayIndex.all()).dup('c'));
    }

    @Override
    public int hiddenSize() {
        return config.hidden();
    }

    @Override
    public List<TransformerLayer> layers() {
        return encoder.layers();
    }

    public TowerConfig config() {
        return config;
    }
}
