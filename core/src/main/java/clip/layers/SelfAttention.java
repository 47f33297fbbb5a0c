package clip.layers;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Multi-head scaled dot-product self-attention with explicit backward. On the CPU backend every
 * head's products are BLAS calls on its column block of the [B, T, H*dh] projections, so heads
 * are never split out or merged back; elsewhere heads are folded into the batch axis
 * ([B*H, T, dh]) for batched matmuls.
 */
public final class SelfAttention extends Module {
    /** Which kind of per-head block an operand of {@link #eachHead} is. */
    private static final boolean HEAD = true;
    private static final boolean SQUARE = false;
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
    private boolean headsInPlace;
    private boolean batchedHeads;

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
        INDArray qx = query.forward(x);
        INDArray kx = key.forward(x);
        INDArray vx = value.forward(x);
        headsInPlace = !batchedHeads && Blas.isDirect(qx, kx, vx);
        if (headsInPlace) {
            q = qx;
            k = kx;
            v = vx;
        } else {
            q = splitHeads(qx);
            k = splitHeads(kx);
            v = splitHeads(vx);
        }
        INDArray scores = eachHead(false, true, seq, seq, headDim, scale, q, HEAD, k, HEAD, SQUARE);
        if (mask != null) {
            mask.addTo(scores, batch, heads, seq);
        }
        if (VectorMath.applies(scores)) {
            VectorKernels.softmaxRowsInPlace(scores, seq);
            probs = scores;
        } else {
            probs = Transforms.softmax(scores.reshape('c', (long) batch * heads * seq, seq), false)
                    .reshape('c', (long) batch * heads, seq, seq);
        }
        INDArray context = eachHead(false, false, seq, headDim, seq, 1.0, probs, SQUARE, v, HEAD, HEAD);
        return output.forward(headsInPlace ? context : mergeHeads(context));
    }

    public INDArray backward(INDArray dy) {
        INDArray dContext = output.backward(dy);
        if (!headsInPlace) {
            dContext = splitHeads(dContext);
        }
        INDArray dProbs = eachHead(false, true, seq, seq, headDim, 1.0, dContext, HEAD, v, HEAD, SQUARE);
        INDArray dV = eachHead(true, false, seq, headDim, seq, 1.0, probs, SQUARE, dContext, HEAD, HEAD);
        // softmax backward: dS = P * (dP - rowsum(dP * P))
        INDArray dScores;
        if (VectorMath.applies(dProbs, probs)) {
            VectorKernels.softmaxBackwardInPlace(dProbs, probs, seq);
            dScores = dProbs;
        } else {
            INDArray rowDot = dProbs.mul(probs).sum(2).reshape('c', (long) batch * heads * seq, 1);
            dScores = dProbs.reshape('c', (long) batch * heads * seq, seq).subiColumnVector(rowDot)
                    .reshape('c', (long) batch * heads, seq, seq).muli(probs);
        }
        INDArray dQ = eachHead(false, false, seq, headDim, seq, scale, dScores, SQUARE, k, HEAD, HEAD);
        INDArray dK = eachHead(true, false, seq, headDim, seq, scale, dScores, SQUARE, q, HEAD, HEAD);
        INDArray dx = query.backward(headsInPlace ? dQ : mergeHeads(dQ));
        VectorMath.addi(dx, key.backward(headsInPlace ? dK : mergeHeads(dK)));
        VectorMath.addi(dx, value.backward(headsInPlace ? dV : mergeHeads(dV)));
        return dx;
    }

    /**
     * For every (example, head): {@code alpha * op(a) op(b)}, an [m, n] block of the result. A
     * HEAD operand is either a column block of [B, T, H*dh] (heads in place: no split/merge
     * copies) or a slice of [B*H, T, dh]; a SQUARE operand is a slice of [B*H, T, T].
     */
    private INDArray eachHead(boolean transA, boolean transB, int m, int n, int k, double alpha,
                              INDArray a, boolean aHead, INDArray b, boolean bHead, boolean cHead) {
        if (!headsInPlace) {
            INDArray product = Nd4j.matmul(a, b, transA, transB, false);
            return alpha == 1.0 ? product : product.muli(alpha);
        }
        INDArray c = cHead ? Nd4j.createUninitialized(a.dataType(), batch, seq, (long) heads * headDim)
                : Nd4j.createUninitialized(a.dataType(), (long) batch * heads, seq, seq);
        for (int e = 0; e < batch; e++) {
            for (int h = 0; h < heads; h++) {
                Blas.gemm(transA, transB, m, n, k, alpha, a, offset(aHead, e, h), width(aHead), b, offset(bHead, e, h),
                        width(bHead), 0.0, c, offset(cHead, e, h), width(cHead));
            }
        }
        return c;
    }

    private long offset(boolean head, int example, int h) {
        return head ? (long) example * seq * heads * headDim + (long) h * headDim : ((long) example * heads + h) * seq * seq;
    }

    private int width(boolean head) {
        return head ? heads * headDim : seq;
    }

    /**
     * Folds heads into the batch axis and uses batched products even where the arrays could go
     * to BLAS directly: the path of backends without direct BLAS, so that tests run it here.
     */
    SelfAttention batchedHeads() {
        batchedHeads = true;
        return this;
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
