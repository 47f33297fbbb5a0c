package clip.layers;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Multi-head scaled dot-product self-attention with explicit backward. On the CPU backend every
 * head's products work on its column block of the [B, T, H*dh] projections, so heads are never
 * split out or merged back: one product call per (example, head) block; elsewhere heads are
 * folded into the batch axis ([B*H, T, dh]) for batched matmuls.
 */
public final class SelfAttention extends Module {
    /** An operand of {@link #eachHead} that is a block of the scores or probabilities, [B*H, Tq, T]. */
    private static final int SCORES = 0;
    /** (example, head) blocks below which they stay on one thread: a block takes microseconds. */
    private static final int PARALLEL_BLOCKS = 32;
    private final Linear query;
    private final Linear key;
    private final Linear value;
    private final Linear output;
    private final int heads;
    private final int headDim;
    private final double scale;
    private int batch;
    private int seq;
    /** Query rows per example: {@link #seq} for self-attention, fewer when only some rows are wanted. */
    private int queries;
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
        return forward(x, x, mask);
    }

    /**
     * Attention of some query rows over every row of {@code x}: [B, Tq, D] queries (rows of x, or
     * x itself) against x's keys and values, [B, Tq, D] out. A layer whose only wanted outputs
     * are a few rows per example (the pooled token, in the last layer of a tower) computes just
     * those: the rows the whole pass gives, up to the rounding of products of other sizes.
     * @param mask additive bias for these query rows ({@link AttentionMask#forRows}), or null
     */
    public INDArray forward(INDArray queryRows, INDArray x, AttentionMask mask) {
        batch = (int) x.size(0);
        seq = (int) x.size(1);
        queries = (int) queryRows.size(1);
        INDArray qx = query.forward(queryRows);
        INDArray kx = key.forward(x);
        INDArray vx = value.forward(x);
        headsInPlace = !batchedHeads && Blas.isDirect(qx, kx, vx);
        if (headsInPlace) {
            q = qx;
            k = kx;
            v = vx;
        } else {
            q = splitHeads(qx, queries);
            k = splitHeads(kx, seq);
            v = splitHeads(vx, seq);
        }
        INDArray scores = eachHead(false, true, queries, seq, headDim, scale, q, queries, k, seq, SCORES);
        if (mask != null) {
            mask.addTo(scores, batch, heads);
        }
        if (VectorMath.applies(scores)) {
            VectorKernels.softmaxRowsInPlace(scores, seq);
            probs = scores;
        } else {
            probs = Transforms.softmax(scores.reshape('c', (long) batch * heads * queries, seq), false)
                    .reshape('c', (long) batch * heads, queries, seq);
        }
        INDArray context = eachHead(false, false, queries, headDim, seq, 1.0, probs, SCORES, v, seq, queries);
        return output.forward(headsInPlace ? context : mergeHeads(context, queries));
    }

    /** dL/dx for a self-attention forward pass ({@link #forward(INDArray, AttentionMask)}). */
    public INDArray backward(INDArray dy) {
        Gradients g = backwardQueries(dy);
        return VectorMath.addi(VectorMath.addi(g.queryRows(), g.keys()), g.values());
    }

    /** The gradients of a forward pass: the query rows', and x's through the keys and the values. */
    public record Gradients(INDArray queryRows, INDArray keys, INDArray values) {
        /** dL/dx when the query rows were other arrays than x: the keys' and values' parts (summed into the keys' array). */
        public INDArray input() {
            return VectorMath.addi(keys, values);
        }
    }

    public Gradients backwardQueries(INDArray dy) {
        INDArray dContext = output.backward(dy);
        if (!headsInPlace) {
            dContext = splitHeads(dContext, queries);
        }
        INDArray dProbs = eachHead(false, true, queries, seq, headDim, 1.0, dContext, queries, v, seq, SCORES);
        INDArray dV = eachHead(true, false, seq, headDim, queries, 1.0, probs, SCORES, dContext, queries, seq);
        // softmax backward: dS = P * (dP - rowsum(dP * P))
        INDArray dScores;
        if (VectorMath.applies(dProbs, probs)) {
            VectorKernels.softmaxBackwardInPlace(dProbs, probs, seq);
            dScores = dProbs;
        } else {
            INDArray rowDot = dProbs.mul(probs).sum(2).reshape('c', (long) batch * heads * queries, 1);
            dScores = dProbs.reshape('c', (long) batch * heads * queries, seq).subiColumnVector(rowDot)
                    .reshape('c', (long) batch * heads, queries, seq).muli(probs);
        }
        INDArray dQ = eachHead(false, false, queries, headDim, seq, scale, dScores, SCORES, k, seq, queries);
        INDArray dK = eachHead(true, false, seq, headDim, queries, scale, dScores, SCORES, q, queries, seq);
        INDArray dQueryRows = query.backward(headsInPlace ? dQ : mergeHeads(dQ, queries));
        INDArray dKeys = key.backward(headsInPlace ? dK : mergeHeads(dK, seq));
        INDArray dValues = value.backward(headsInPlace ? dV : mergeHeads(dV, seq));
        return new Gradients(dQueryRows, dKeys, dValues);
    }

    /**
     * For every (example, head): {@code alpha * op(a) op(b)}, an [m, n] block of the result. An
     * operand is either a head's block of an array of {@code rows} rows per example ({@code rows
     * > 0}: a column block of [B, rows, H*dh] with heads in place, no split/merge copies, or a
     * slice of [B*H, rows, dh]) or, for {@link #SCORES}, a slice of [B*H, Tq, T].
     */
    private INDArray eachHead(boolean transA, boolean transB, int m, int n, int k, double alpha,
                              INDArray a, int aRows, INDArray b, int bRows, int cRows) {
        if (!headsInPlace) {
            INDArray product = Nd4j.matmul(a, b, transA, transB, false);
            return alpha == 1.0 ? product : product.muli(alpha);
        }
        INDArray c = cRows == SCORES ? Nd4j.createUninitialized(a.dataType(), (long) batch * heads, queries, seq)
                : Nd4j.createUninitialized(a.dataType(), batch, cRows, (long) heads * headDim);
        // A block (65 x 65 x 64 for a 64-px ViT head) is too small for a second thread inside its
        // product, so with two threads the blocks are cut in halves, each product on one thread.
        Halves.run(batch * heads, 1, PARALLEL_BLOCKS, (from, to) -> {
            for (int block = from; block < to; block++) {
                int e = block / heads;
                int h = block % heads;
                Blas.gemmOnThisThread(transA, transB, m, n, k, alpha, a, offset(aRows, e, h), width(aRows), b, offset(bRows, e, h),
                        width(bRows), 0.0, c, offset(cRows, e, h), width(cRows));
            }
        });
        return c;
    }

    private long offset(int rows, int example, int h) {
        return rows == SCORES ? ((long) example * heads + h) * queries * seq
                : (long) example * rows * heads * headDim + (long) h * headDim;
    }

    private int width(int rows) {
        return rows == SCORES ? seq : heads * headDim;
    }

    /**
     * Folds heads into the batch axis and uses batched products even where the arrays could go
     * to BLAS directly: the path of backends without direct BLAS, so that tests run it here.
     */
    SelfAttention batchedHeads() {
        batchedHeads = true;
        return this;
    }

    /** Attention probabilities of the last forward pass, [B, H, Tq, T] (for attention maps). */
    public INDArray attentionProbabilities() {
        return RowMajor.reshape(probs, batch, heads, queries, seq);
    }

    private INDArray splitHeads(INDArray x, int rows) {
        return RowMajor.reshape(RowMajor.reshape(x, batch, rows, heads, headDim).permute(0, 2, 1, 3).dup('c'),
                (long) batch * heads, rows, headDim);
    }

    private INDArray mergeHeads(INDArray x, int rows) {
        return RowMajor.reshape(RowMajor.reshape(x, batch, heads, rows, headDim).permute(0, 2, 1, 3).dup('c'),
                batch, rows, (long) heads * headDim);
    }
}
