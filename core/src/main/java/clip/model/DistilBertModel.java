package clip.model;

import clip.layers.AttentionMask;
import clip.layers.Embedding;
import clip.layers.Init;
import clip.layers.LayerNames;
import clip.layers.LayerNorm;
import clip.layers.Module;
import clip.layers.PositionEmbedding;
import clip.layers.TokenPooling;
import clip.layers.TransformerLayer;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * HF {@code DistilBertModel}: word + position embeddings (learned, or fixed sinusoids when the
 * config says {@code sinusoidal_pos_embds}), LayerNorm, a post-LN encoder under
 * {@code transformer.layer.N}, no token types and no pooler. The text feature is the last hidden
 * state at [CLS], as the recipes built on DistilBERT take it.
 */
public final class DistilBertModel extends Module implements Tower<TextBatch> {
    private final TowerConfig config;
    private final Embedding words;
    private final PositionEmbedding positions;
    private final LayerNorm embeddingNorm;
    private final Encoder encoder;
    private final TokenPooling cls = new TokenPooling();
    private boolean pooledOnly;

    public DistilBertModel(TowerConfig c, boolean sinusoidalPositions, Init init) {
        this.config = c;
        this.words = child("embeddings.word_embeddings", new Embedding(c.vocabSize(), c.hidden(), init));
        this.positions = child("embeddings.position_embeddings", sinusoidalPositions
                ? PositionEmbedding.sinusoidal(c.maxPositions(), c.hidden(), init.dataType())
                : new PositionEmbedding(c.maxPositions(), c.hidden(), init));
        this.embeddingNorm = child("embeddings.LayerNorm", new LayerNorm(c.hidden(), c.layerNormEps(), init));
        this.encoder = child("transformer", new Encoder(c, false, LayerNames.DISTILBERT, "layer", init));
    }

    @Override
    public TowerOutput forward(TextBatch text) {
        pooledOnly = false;
        INDArray x = embed(text);
        List<INDArray> hidden = new ArrayList<>();
        hidden.add(x);
        INDArray last = encoder.forward(x, mask(text, x), hidden);
        return new TowerOutput(hidden, last, cls.forward(last, TokenPooling.first(last.size(0))));
    }

    @Override
    public TowerOutput forwardPooled(TextBatch text) {
        pooledOnly = true;
        INDArray x = embed(text);
        return TowerOutput.pooledOnly(encoder.forwardRows(x, mask(text, x), TokenPooling.first(text.batchSize())));
    }

    private INDArray embed(TextBatch text) {
        return embeddingNorm.forward(positions.addTo(words.forward(text.inputIds())));
    }

    private static AttentionMask mask(TextBatch text, INDArray x) {
        return AttentionMask.of(text.attentionMask(), false, text.batchSize(), text.length(), x.dataType());
    }

    @Override
    public void backward(INDArray dLast, INDArray dPooled) {
        INDArray d = pooledOnly ? TowerGradient.pooledOnly(dLast, dPooled)
                : TowerGradient.merge(dLast, dPooled == null ? null : cls.backward(dPooled));
        d = embeddingNorm.backward(encoder.backward(d));
        words.backward(d);
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
