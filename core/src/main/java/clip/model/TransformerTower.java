package clip.model;

import clip.layers.AttentionMask;
import clip.layers.Layer;
import clip.layers.LayerNorm;
import clip.layers.Module;
import clip.layers.TokenPooling;
import clip.layers.TransformerLayer;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What the transformer towers share: the tower's own embeddings, an {@link Encoder}, optionally a
 * LayerNorm on every position of its output (the last hidden state is then normalised), one token
 * pooled per example ([CLS] unless the tower says otherwise) and optionally a head on that token.
 * A subclass keeps only what differs: its embeddings, its mask and pooled token, its weight names.
 *
 * <p>The encoder, norm and head are registered by the subclass's constructor at their place among
 * its weights: registration order is the order of the flat parameter vector that the optimizer
 * shards across workers, which must not move.
 */
public abstract class TransformerTower<I> extends Module implements Tower<I> {
    private final TowerConfig config;
    private final TokenPooling pooling = new TokenPooling();
    private Encoder encoder;
    private LayerNorm lastNorm;
    private Layer head;
    private boolean pooledOnly;

    /** Package-private: the towers are this package's (BERT, DistilBERT, CLIP text, ViT, CLIP vision). */
    TransformerTower(TowerConfig config) {
        this.config = config;
    }

    protected final void encoder(String name, Encoder e) {
        this.encoder = child(name, e);
    }

    /** The LayerNorm every position of the encoder's output goes through; none when not registered. */
    protected final void lastNorm(String name, LayerNorm norm) {
        this.lastNorm = child(name, norm);
    }

    /** What turns the pooled token into the pooled output (tanh pooler, CLIP's post-LayerNorm); none when not registered. */
    protected final <L extends Module & Layer> void head(String name, L layer) {
        this.head = child(name, layer);
    }

    /** The embeddings [B, T, D] the encoder starts from. */
    protected abstract INDArray embed(I input);

    /** dL/d(the embeddings) into the embeddings' parameters. */
    protected abstract void backwardEmbeddings(INDArray d);

    /** The attention mask for {@code input} embedded as {@code x}; none by default. */
    protected AttentionMask mask(I input, INDArray x) {
        return null;
    }

    /** The token pooled in each example: [CLS], the first, by default. */
    protected int[] pooledTokens(I input, INDArray x) {
        return TokenPooling.first(x.size(0));
    }

    @Override
    public final TowerOutput forward(I input) {
        pooledOnly = false;
        INDArray x = embedded(input);
        List<INDArray> hidden = new ArrayList<>();
        hidden.add(x);
        INDArray last = through(lastNorm, encoder.forward(x, mask(input, x), hidden));
        return new TowerOutput(hidden, last, through(head, pooling.forward(last, pooledTokens(input, x))));
    }

    @Override
    public final TowerOutput forwardPooled(I input) {
        pooledOnly = true;
        INDArray x = embedded(input);
        // LayerNorm is per position: normalising the pooled rows alone gives the pooled rows of the normalised whole
        INDArray rows = encoder.forwardRows(x, mask(input, x), pooledTokens(input, x));
        return TowerOutput.pooledOnly(through(head, through(lastNorm, rows)));
    }

    @Override
    public final void backward(INDArray dLast, INDArray dPooled) {
        INDArray d = pooledOnly ? backThrough(head, TowerGradient.pooledOnly(dLast, dPooled))
                : TowerGradient.merge(dLast, dPooled == null ? null : pooling.backward(backThrough(head, dPooled)));
        backwardEmbeddings(encoder.backward(backThrough(lastNorm, d)));
    }

    /** The embeddings, once the parameters outside the encoder, last norm and head hold this pass's values. */
    private INDArray embedded(I input) {
        List<Module> later = new ArrayList<>(List.of(encoder));
        for (Layer l : new Layer[] {lastNorm, head}) {
            if (l != null) {
                later.add((Module) l);
            }
        }
        parametersNeededExcept(later);
        return embed(input);
    }

    private INDArray through(Layer layer, INDArray x) {
        if (layer == null) {
            return x;
        }
        parametersNeeded((Module) layer);
        return layer.forward(x);
    }

    private static INDArray backThrough(Layer layer, INDArray dy) {
        return layer == null ? dy : layer.backward(dy);
    }

    @Override
    public final int hiddenSize() {
        return config.hidden();
    }

    @Override
    public final List<TransformerLayer> layers() {
        return encoder.layers();
    }

    public final TowerConfig config() {
        return config;
    }
}
