package clip.model;

import clip.layers.AttentionMask;
import clip.layers.Embedding;
import clip.layers.Init;
import clip.layers.LayerNames;
import clip.layers.LayerNorm;
import clip.layers.PositionEmbedding;
import clip.layers.TanhPooler;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * HF {@code BertModel}: word + position + token-type embeddings, LayerNorm, post-LN encoder, tanh
 * pooler at [CLS]. Without the pooling layer (HF's {@code add_pooling_layer=False}, how
 * sentence-transformers saves BERTs) the pooled output is the [CLS] hidden state itself.
 */
public final class BertModel extends TransformerTower<TextBatch> {
    private final Embedding words;
    private final PositionEmbedding positions;
    private final Embedding tokenTypes;
    private final LayerNorm embeddingNorm;

    public BertModel(TowerConfig c, Init init) {
        this(c, true, init);
    }

    public BertModel(TowerConfig c, boolean poolingLayer, Init init) {
        super(c);
        this.words = child("embeddings.word_embeddings", new Embedding(c.vocabSize(), c.hidden(), init));
        this.positions = child("embeddings.position_embeddings", new PositionEmbedding(c.maxPositions(), c.hidden(), init));
        this.tokenTypes = child("embeddings.token_type_embeddings", new Embedding(c.typeVocabSize(), c.hidden(), init));
        this.embeddingNorm = child("embeddings.LayerNorm", new LayerNorm(c.hidden(), c.layerNormEps(), init));
        encoder("encoder", new Encoder(c, false, LayerNames.BERT, "layer", init));
        if (poolingLayer) {
            head("pooler", new TanhPooler(c.hidden(), init));
        }
    }

    @Override
    protected INDArray embed(TextBatch text) {
        INDArray ids = text.inputIds();
        INDArray types = text.tokenTypeIds() != null ? text.tokenTypeIds() : Nd4j.zeros(ids.dataType(), ids.shape());
        return embeddingNorm.forward(positions.addTo(words.forward(ids).addi(tokenTypes.forward(types))));
    }

    @Override
    protected AttentionMask mask(TextBatch text, INDArray x) {
        return text.mask(false, x.dataType());
    }

    @Override
    protected void backwardEmbeddings(INDArray d) {
        d = embeddingNorm.backward(d);
        words.backward(d);
        tokenTypes.backward(d);
        positions.backward(d);
    }
}
