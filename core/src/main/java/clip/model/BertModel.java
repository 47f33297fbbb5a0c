package clip.model;

import clip.layers.Init;
import clip.layers.Module;

import clip.layers.AttentionMask;
import clip.layers.Embedding;
import clip.layers.LayerNames;
import clip.layers.LayerNorm;
import clip.layers.PositionEmbedding;
import clip.layers.TanhPooler;
import clip.layers.TokenPooling;
import clip.layers.TransformerLayer;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * HF {@code BertModel}: word + position + token-type embeddings, LayerNorm, post-LN encoder, tanh
 * pooler at [CLS]. Without the pooling layer (HF's {@code add_pooling_layer=False}, how
 * sentence-transformers saves BERTs) the pooled output is the [CLS] hidden state itself.
 */
public final class BertModel extends Module implements Tower<TextBatch> {
    private final TowerConfig config;
    private final Embedding words;
    private final PositionEmbedding positions;
    private final Embedding tokenTypes;
    private final LayerNorm embeddingNorm;
    private final Encoder encoder;
    private final TanhPooler pooler;
    private final TokenPooling cls = new TokenPooling();
    private boolean pooledOnly;

    public BertModel(TowerConfig c, Init init) {
        this(c, true, init);
    }

    public BertModel(TowerConfig c, boolean poolingLayer, Init init) {
        this.config = c;
        this.words = child("embeddings.word_embeddings", new Embedding(c.vocabSize(), c.hidden(), init));
        this.positions = child("embeddings.position_embeddings", new PositionEmbedding(c.maxPositions(), c.hidden(), init));
        this.tokenTypes = child("embeddings.token_type_embeddings", new Embedding(c.typeVocabSize(), c.hidden(), init));
        this.embeddingNorm = child("embeddings.LayerNorm", new LayerNorm(c.hidden(), c.layerNormEps(), init));
        this.encoder = child("encoder", new Encoder(c, false, LayerNames.BERT, "layer", init));
        this.pooler = poolingLayer ? child("pooler", new TanhPooler(c.hidden(), init)) : null;
    }

    @Override
    public TowerOutput forward(TextBatch text) {
        pooledOnly = false;
        INDArray x = embed(text);
        List<INDArray> hidden = new ArrayList<>();
        hidden.add(x);
        INDArray last = encoder.forward(x, mask(text, x), hidden);
        INDArray first = cls.forward(last, TokenPooling.first(last.size(0)));
        INDArray pooled = pooler == null ? first : pooler.forward(first);
        return new TowerOutput(hidden, last, pooled);
    }

    @Override
    public TowerOutput forwardPooled(TextBatch text) {
        pooledOnly = true;
        INDArray x = embed(text);
        INDArray first = encoder.forwardRows(x, mask(text, x), TokenPooling.first(text.batchSize()));
        return TowerOutput.pooledOnly(pooler == null ? first : pooler.forward(first));
    }

    private INDArray embed(TextBatch text) {
        INDArray ids = text.inputIds();
        INDArray types = text.tokenTypeIds() != null ? text.tokenTypeIds() : Nd4j.zeros(ids.dataType(), ids.shape());
        return embeddingNorm.forward(positions.addTo(words.forward(ids).addi(tokenTypes.forward(types))));
    }

    private static AttentionMask mask(TextBatch text, INDArray x) {
        return AttentionMask.of(text.attentionMask(), false, text.batchSize(), text.length(), x.dataType());
    }

    @Override
    public void backward(INDArray dLast, INDArray dPooled) {
        INDArray d;
        if (pooledOnly) {
            d = TowerGradient.pooledOnly(dLast, dPooled);
            d = pooler == null ? d : pooler.backward(d);
        } else {
            d = TowerGradient.merge(dLast, dPooled == null ? null
                    : cls.backward(pooler == null ? dPooled : pooler.backward(dPooled)));
        }
        d = embeddingNorm.backward(encoder.backward(d));
        words.backward(d);
        tokenTypes.backward(d);
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
