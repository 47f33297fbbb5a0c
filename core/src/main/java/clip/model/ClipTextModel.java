package clip.model;

import clip.layers.Init;
import clip.layers.Module;

import clip.layers.AttentionMask;
import clip.layers.Embedding;
import clip.layers.LayerNames;
import clip.layers.LayerNorm;
import clip.layers.PositionEmbedding;
import clip.layers.TokenPooling;
import clip.layers.TransformerLayer;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * HF {@code CLIPTextTransformer}: token + position embeddings, causal pre-LN encoder (plus the
 * padding mask), final LayerNorm on every position, pooled at the end-of-text token.
 */
public final class ClipTextModel extends Module implements Tower<TextBatch> {
    private final TowerConfig config;
    private final Embedding tokens;
    private final PositionEmbedding positions;
    private final Encoder encoder;
    private final LayerNorm finalNorm;
    private final TokenPooling eot = new TokenPooling();
    private boolean pooledOnly;

    public ClipTextModel(TowerConfig c, Init init) {
        this.config = c;
        this.tokens = child("embeddings.token_embedding", new Embedding(c.vocabSize(), c.hidden(), init));
        this.positions = child("embeddings.position_embedding", new PositionEmbedding(c.maxPositions(), c.hidden(), init));
        this.encoder = child("encoder", new Encoder(c, true, LayerNames.CLIP, "layers", init));
        this.finalNorm = child("final_layer_norm", new LayerNorm(c.hidden(), c.layerNormEps(), init));
    }

    @Override
    public TowerOutput forward(TextBatch text) {
        pooledOnly = false;
        INDArray x = positions.addTo(tokens.forward(text.inputIds()));
        List<INDArray> hidden = new ArrayList<>();
        hidden.add(x);
        INDArray last = finalNorm.forward(encoder.forward(x, mask(text, x), hidden));
        INDArray pooled = eot.forward(last, TokenPooling.argmax(text.inputIds()));
        return new TowerOutput(hidden, last, pooled);
    }

    @Override
    public TowerOutput forwardPooled(TextBatch text) {
        pooledOnly = true;
        INDArray x = positions.addTo(tokens.forward(text.inputIds()));
        INDArray end = encoder.forwardRows(x, mask(text, x), TokenPooling.argmax(text.inputIds()));
        return TowerOutput.pooledOnly(finalNorm.forward(end));
    }

    private static AttentionMask mask(TextBatch text, INDArray x) {
        return AttentionMask.of(text.attentionMask(), true, text.batchSize(), text.length(), x.dataType());
    }

    @Override
    public void backward(INDArray dLast, INDArray dPooled) {
        INDArray d = pooledOnly ? TowerGradient.pooledOnly(dLast, dPooled)
                : TowerGradient.merge(dLast, dPooled == null ? null : eot.backward(dPooled));
        d = encoder.backward(finalNorm.backward(d));
        tokens.backward(d);
        positions.backward(d);
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
