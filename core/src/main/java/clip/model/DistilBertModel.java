package clip.model;

import clip.layers.AttentionMask;
import clip.layers.Embedding;
import clip.layers.Init;
import clip.layers.LayerNames;
import clip.layers.LayerNorm;
import clip.layers.PositionEmbedding;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * HF {@code DistilBertModel}: word + position embeddings (learned, or fixed sinusoids when the
 * config says {@code sinusoidal_pos_embds}), LayerNorm, a post-LN encoder under
 * {@code transformer.layer.N}, no token types and no pooler. The text feature is the last hidden
 * state at [CLS], as the recipes built on DistilBERT take it.
 */
public final class DistilBertModel extends TransformerTower<TextBatch> {
    private final Embedding words;
    private final PositionEmbedding positions;
    private final LayerNorm embeddingNorm;

    public DistilBertModel(TowerConfig c, boolean sinusoidalPositions, Init init) {
        super(c);
        this.words = child("embeddings.word_embeddings", new Embedding(c.vocabSize(), c.hidden(), init));
        this.positions = child("embeddings.position_embeddings", sinusoidalPositions
                ? PositionEmbedding.sinusoidal(c.maxPositions(), c.hidden(), init.dataType())
                : new PositionEmbedding(c.maxPositions(), c.hidden(), init));
        this.embeddingNorm = child("embeddings.LayerNorm", new LayerNorm(c.hidden(), c.layerNormEps(), init));
        encoder("transformer", new Encoder(c, false, LayerNames.DISTILBERT, "layer", init));
    }

    @Override
    protected INDArray embed(TextBatch text) {
        return embeddingNorm.forward(positions.addTo(words.forward(text.inputIds())));
    }

    @Override
    protected AttentionMask mask(TextBatch text, INDArray x) {
        return text.mask(false, x.dataType());
    }

    @Override
    protected void backwardEmbeddings(INDArray d) {
        d = embeddingNorm.backward(d);
        words.backward(d);
        positions.backward(d);
    }
}
