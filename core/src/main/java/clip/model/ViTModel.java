package clip.model;

import clip.layers.Init;
import clip.layers.Module;
import clip.layers.Parameter;

import clip.layers.LayerNames;
import clip.layers.LayerNorm;
import clip.layers.PatchProjection;
import clip.layers.TanhPooler;
import clip.layers.TokenPooling;
import clip.layers.TransformerLayer;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * HF {@code ViTModel}: patch embedding + [CLS] + position embeddings, pre-LN encoder, final
 * LayerNorm (so last_hidden_state is normalised), tanh pooler at [CLS].
 */
public final class ViTModel extends Module implements Tower<INDArray> {
    private final TowerConfig config;
    private final Parameter clsToken;
    private final Parameter positionEmbeddings;
    private final PatchProjection patches;
    private final Encoder encoder;
    private final LayerNorm layernorm;
    private final TanhPooler pooler;
    private final TokenPooling cls = new TokenPooling();
    private boolean pooledOnly;

    public ViTModel(TowerConfig c, Init init) {
        this.config = c;
        int tokens = c.patchesPerSide() * c.patchesPerSide() + 1;
        this.clsToken = param("embeddings.cls_token", init.normal(1, 1, c.hidden()));
        this.positionEmbeddings = param("embeddings.position_embeddings", init.normal(1, tokens, c.hidden()));
        this.patches = child("embeddings.patch_embeddings.projection",
                new PatchProjection(c.channels(), c.patchSize(), c.hidden(), true, init));
        this.encoder = child("encoder", new Encoder(c, true, LayerNames.VIT, "layer", init));
        this.layernorm = child("layernorm", new LayerNorm(c.hidden(), c.layerNormEps(), init));
        this.pooler = child("pooler", new TanhPooler(c.hidden(), init));
    }

    @Override
    public TowerOutput forward(INDArray pixels) {
        pooledOnly = false;
        INDArray x = embed(pixels);
        List<INDArray> hidden = new ArrayList<>();
        hidden.add(x);
        INDArray last = layernorm.forward(encoder.forward(x, null, hidden));
        INDArray pooled = pooler.forward(cls.forward(last, TokenPooling.first(last.size(0))));
        return new TowerOutput(hidden, last, pooled);
    }

    @Override
    public TowerOutput forwardPooled(INDArray pixels) {
        pooledOnly = true;
        INDArray first = encoder.forwardRows(embed(pixels), null, TokenPooling.first(pixels.size(0)));
        return TowerOutput.pooledOnly(pooler.forward(layernorm.forward(first)));
    }

    private INDArray embed(INDArray pixels) {
        INDArray x = VisionEmbeddings.withClassToken(patches.forward(pixels), clsToken.value().reshape(-1));
        VisionEmbeddings.addPositions(x, positionEmbeddings.value());
        return x;
    }

    @Override
    public void backward(INDArray dLast, INDArray dPooled) {
        INDArray d = pooledOnly ? pooler.backward(TowerGradient.pooledOnly(dLast, dPooled))
                : TowerGradient.merge(dLast, dPooled == null ? null : cls.backward(pooler.backward(dPooled)));
        d = encoder.backward(layernorm.backward(d));
        if (positionEmbeddings.trainable()) {
            positionEmbeddings.grad().addi(d.sum(0).reshape(positionEmbeddings.value().shape()));
        }
        if (clsToken.trainable()) {
            clsToken.grad().addi(d.get(NDArrayIndex.all(), NDArrayIndex.point(0), NDArrayIndex.all()).sum(0)
                    .reshape(clsToken.value().shape()));
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
