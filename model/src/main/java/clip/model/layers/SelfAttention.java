package clip.model.layers;

import clip.model.Init;
import clip.model.Module;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Multi-head scaled dot-product self-attention with explicit backward. Heads are folded into
 * the batch axis ([B*H, T, dh]) so every product is one batched matmul.
 */
public final class SelfAttention extends Module {
    private final Linear query;
    private final Linear key;
    private final Linear value;
    private final Linear output;
    private final int heads;
    private final int headDim;
    private final double scale;
    private int batch;
    private int seq;
    private INDArray q;
    private INDArray k;
    private INDArray v;
    private INDArray probs;

    public SelfAttention(int dim, int heads, boolean qkvBias, AttentionNames names, Init init) {
        if (dim % heads != 0) {
            throw new IllegalArgumentException("hidden size " + dim + " is not a multiple of " + heads + " heads");
        }
        this.heads = heads;
        this.headDim = dim / heads;
        this.scale = 1.0 / Math.sqrt(headDim);
        this.query = child(names.query(), new Linear(dim, dim, qkvBias, init));
        this.key = child(names.key(), new Linear(dim, dim, qkvBias, init));
        this.value = child(names.value(), new Linear(dim, dim, qkvBias, init));
        this.output = child(names.output(), new Linear(dim, dim, true, init));
    }

    /** @param x [B, T, D]; @param mask additive bias or null */
    public INDArray forward(INDArray x, AttentionMask mask) {
        batch = (int) x.size(0);
        seq = (int) x.size(1);
        q = splitHeads(query.forward(x));
        k = splitHeads(key.forward(x));
        v = splitHeads(value.forward(x));
        INDArray scores = Nd4j.matmul(q, k, false, true, false).muli(scale);
        if (mask != null) {
            mask.addTo(scores, batch, heads, seq);
        }
        probs = Transforms.softmax(scores.reshape('c', (long) batch * heads * seq, seq), false)
                .reshape('c', (long) batch * heads, seq, seq);
        return output.forward(mergeHeads(Nd4j.matmul(probs, v)));
    }

    public INDArray backward(INDArray dy) {
        INDArray dContext = splitHeads(output.backward(dy));
        INDArray dProbs = Nd4j.matmul(dContext, v, false, true, false);
        INDArray dV = Nd4j.matmul(probs, dContext, true, false, false);
        // softmax backward: dS = P * (dP - rowsum(dP * P))
        INDArray rowDot = dProbs.mul(probs).sum(2).reshape('c', (long) batch * heads * seq, 1);
        INDArray dScores = dProbs.reshape('c', (long) batch * heads * seq, seq).subiColumnVector(rowDot)
                .reshape('c', (long) batch * heads, seq, seq).muli(probs).muli(scale);
        INDArray dQ = Nd4j.matmul(dScores, k);
        INDArray dK = Nd4j.matmul(dScores, q, true, false, false);
        INDArray dx = query.backward(mergeHeads(dQ));
        dx.addi(key.backward(mergeHeads(dK)));
        dx.addi(value.backward(mergeHeads(dV)));
        return dx;
    }

    /** Attention probabilities of the last forward pass, [B, H, T, T] (for attention maps). */
    public INDArray attentionProbabilities() {
        return probs.reshape('c', batch, heads, seq, seq);
    }

    private INDArray splitHeads(INDArray x) {
        return x.reshape('c', batch, seq, heads, headDim).permute(0, 2, 1, 3).dup('c')
                .reshape('c', (long) batch * heads, seq, headDim);
    }

    private INDArray mergeHeads(INDArray x) {
        return x.reshape('c', batch, heads, seq, headDim).permute(0, 2, 1, 3).dup('c')
                .reshape('c', batch, seq, (long) heads * headDim);
    }
}
