package clip.model;

import clip.layers.AttentionMask;
import clip.layers.Embedding;
import clip.layers.Init;
import clip.layers.LayerNames;
import clip.layers.LayerNorm;
import clip.layers.PositionEmbedding;
import clip.layers.TokenPooling;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * HF {@code CLIPTextTransformer}: token + position embeddings, causal pre-LN encoder (plus the
 * padding mask), final LayerNorm on every position, pooled at the end-of-text token.
 */
public final class ClipTextModel extends TransformerTower<TextBatch> {
    private final Embedding tokens;
    private final PositionEmbedding positions;

    public ClipTextModel(TowerConfig c, Init init) {
        super(c);
        this.tokens = child("embeddings.token_embedding", new Embedding(c.vocabSize(), c.hidden(), init));
        this.positions = child("embeddings.position_embedding", new PositionEmbedding(c.maxPositions(), c.hidden(), init));
        encoder("encoder", new Encoder(c, true, LayerNames.CLIP, "layers", init));
        lastNorm("final_layer_norm", new LayerNorm(c.hidden(), c.layerNormEps(), init));
    }

    @Override
    protected INDArray embed(TextBatch text) {
        return positions.addTo(tokens.forward(text.inputIds()));
    }

    @Override
    protected AttentionMask mask(TextBatch text, INDArray x) {
        return text.mask(true, x.dataType());
    }

    @Override
    protected int[] pooledTokens(TextBatch text, INDArray x) {
        return TokenPooling.argmax(text.inputIds());
    }

    @Override
    protected void backwardEmbeddings(INDArray d) {
        tokens.backward(d);
        positions.backward(d);
    }
}
