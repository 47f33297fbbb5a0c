package clip.layers;

import java.nio.FloatBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Multi-head scaled dot-product self-attention with explicit backward. On the CPU backend every
 * head's products work on its column block of the [B, T, H*dh] projections, so heads are never
 * split out or merged back: {@link HeadProducts} for float arrays in a JVM with the Vector API,
 * else a BLAS call per block; elsewhere heads are folded into the batch axis ([B*H, T, dh]) for
 * batched matmuls. There the query, key and value projections are also one product
 * ({@link StackedLinear}), and the heads read their blocks of the stacked [B, T, 3*H*dh] result.
 */
public final class SelfAttention extends Module {
    /** {@link Operand#rows} of a block of the scores or probabilities, [B*H, Tq, T]. */
    private static final int SCORES = 0;
    /** (example, head) blocks below which {@link HeadProducts} stay on one thread: a block takes microseconds. */
    private static final int PARALLEL_BLOCKS = 32;
    private final Linear query;
    private final Linear key;
    private final Linear value;
    private final Linear output;
    private final StackedLinear queryKeyValue;
    private final StackedLinear keyValue;
    private final int heads;
    private final int headDim;
    private final double scale;
    private int batch;
    private int seq;
    /** Query rows per example: {@link #seq} for self-attention, fewer when only some rows are wanted. */
    private int queries;
    private Operand q;
    private Operand k;
    private Operand v;
    private INDArray probs;
    private boolean headsInPlace;
    private boolean batchedHeads;
    /** Whether the last forward pass made its projections with {@link #queryKeyValue} or {@link #keyValue}. */
    private boolean stacked;
    /** Whether the last forward pass was self-attention over all rows ({@link #forward(INDArray, AttentionMask)}). */
    private boolean allRows;

    /**
     * A head's operand: with heads in place, column block {@code column + h * headDim} of a [B,
     * rows, width] array (a projection, or the projections stacked side by side), or with {@code
     * rows == SCORES} a slice of [B*H, Tq, T]; with heads folded, the [B*H, rows, dh] array itself.
     */
    private record Operand(INDArray array, int rows, int width, int column) {
    }

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
        this.queryKeyValue = new StackedLinear(query, key, value);
        this.keyValue = new StackedLinear(key, value);
    }

    /**
     * Self-attention of every row of x, [B, T, D] in and out; its backward pass is
     * {@link #backward}. @param mask additive bias or null
     */
    public INDArray forward(INDArray x, AttentionMask mask) {
        allRows = true;
        return attend(x, x, mask);
    }

    /**
     * Attention of some query rows over every row of {@code x}: [B, Tq, D] queries (rows of x)
     * against x's keys and values, [B, Tq, D] out; its backward pass is {@link #backwardQueries}.
     * A layer whose only wanted outputs are a few rows per example (the pooled token, in the last
     * layer of a tower) computes just those: the rows the whole pass gives, up to the rounding of
     * products of other sizes.
     * @param mask additive bias for these query rows ({@link AttentionMask#forRows}), or null
     */
    public INDArray forward(INDArray queryRows, INDArray x, AttentionMask mask) {
        allRows = false;
        return attend(queryRows, x, mask);
    }

    private INDArray attend(INDArray queryRows, INDArray x, AttentionMask mask) {
        batch = (int) x.size(0);
        seq = (int) x.size(1);
        queries = (int) queryRows.size(1);
        int d = heads * headDim;
        stacked = !batchedHeads && Blas.isDirect(queryRows, x) && (allRows ? queryKeyValue : keyValue).applies(x);
        if (stacked) {
            headsInPlace = true;
            if (allRows) {
                INDArray projections = queryKeyValue.forward(x);
                q = new Operand(projections, seq, 3 * d, 0);
                k = new Operand(projections, seq, 3 * d, d);
                v = new Operand(projections, seq, 3 * d, 2 * d);
            } else {
                INDArray projections = keyValue.forward(x);
                q = new Operand(query.forward(queryRows), queries, d, 0);
                k = new Operand(projections, seq, 2 * d, 0);
                v = new Operand(projections, seq, 2 * d, d);
            }
        } else {
            INDArray qx = query.forward(queryRows);
            INDArray kx = key.forward(x);
            INDArray vx = value.forward(x);
            headsInPlace = !batchedHeads && Blas.isDirect(qx, kx, vx);
            q = rowsOperand(qx, queries);
            k = rowsOperand(kx, seq);
            v = rowsOperand(vx, seq);
        }
        INDArray scores = eachHead(false, true, queries, seq, headDim, scale, q, k, newScores(x));
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
        INDArray context = eachHead(false, false, queries, headDim, seq, 1.0, scoresOperand(probs), v, newRows(x, queries));
        return output.forward(headsInPlace ? context : mergeHeads(context, queries));
    }

    /** dL/dx for a self-attention forward pass ({@link #forward(INDArray, AttentionMask)}). */
    public INDArray backward(INDArray dy) {
        if (stacked && allRows) {
            int d = heads * headDim;
            INDArray dProjections = Nd4j.createUninitialized(dy.dataType(), batch, seq, 3L * d);
            headGradients(dy, new Operand(dProjections, seq, 3 * d, 0), new Operand(dProjections, seq, 3 * d, d),
                    new Operand(dProjections, seq, 3 * d, 2 * d));
            return queryKeyValue.backward(dProjections);
        }
        Gradients g = backwardQueries(dy);
        return VectorMath.addi(g.queryRows(), g.input());
    }

    /** The gradients of a forward pass: the query rows', and x's through the keys and the values. */
    public record Gradients(INDArray queryRows, INDArray input) {
    }

    /** The gradients of a forward pass of some query rows ({@link #forward(INDArray, INDArray, AttentionMask)}). */
    public Gradients backwardQueries(INDArray dy) {
        if (stacked && allRows) {
            throw new IllegalStateException("self-attention over all rows has one input gradient: use backward");
        }
        if (stacked) {
            int d = heads * headDim;
            INDArray dQ = Nd4j.createUninitialized(dy.dataType(), batch, queries, d);
            INDArray dKeyValue = Nd4j.createUninitialized(dy.dataType(), batch, seq, 2L * d);
            headGradients(dy, new Operand(dQ, queries, d, 0), new Operand(dKeyValue, seq, 2 * d, 0),
                    new Operand(dKeyValue, seq, 2 * d, d));
            return new Gradients(query.backward(dQ), keyValue.backward(dKeyValue));
        }
        INDArray[] g = headGradients(dy, newRows(dy, queries), newRows(dy, seq), newRows(dy, seq));
        INDArray dQueryRows = query.backward(headsInPlace ? g[0] : mergeHeads(g[0], queries));
        INDArray dKeys = key.backward(headsInPlace ? g[1] : mergeHeads(g[1], seq));
        INDArray dValues = value.backward(headsInPlace ? g[2] : mergeHeads(g[2], seq));
        return new Gradients(dQueryRows, VectorMath.addi(dKeys, dValues));
    }

    /**
     * The gradients of the queries, keys and values from dL/d(output), into the operands given
     * (with heads in place; folded, new arrays): {dQ, dK, dV}.
     */
    private INDArray[] headGradients(INDArray dy, Operand dQ, Operand dK, Operand dV) {
        INDArray dContext = output.backward(dy);
        Operand dc = rowsOperand(dContext, queries);
        INDArray dProbs = eachHead(false, true, queries, seq, headDim, 1.0, dc, v, newScores(dy));
        INDArray dValues = eachHead(true, false, seq, headDim, queries, 1.0, scoresOperand(probs), dc, dV);
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
        INDArray dQueries = eachHead(false, false, queries, headDim, seq, scale, scoresOperand(dScores), k, dQ);
        INDArray dKeys = eachHead(true, false, seq, headDim, queries, scale, scoresOperand(dScores), q, dK);
        return new INDArray[] {dQueries, dKeys, dValues};
    }

    /** A [B, rows, D] projection as an operand: in place, or its heads folded into the batch axis. */
    private Operand rowsOperand(INDArray x, int rows) {
        int d = heads * headDim;
        return headsInPlace ? new Operand(x, rows, d, 0) : new Operand(splitHeads(x, rows), rows, headDim, 0);
    }

    private Operand scoresOperand(INDArray scores) {
        return new Operand(scores, SCORES, seq, 0);
    }

    /** A new [B*H, Tq, T] result with heads in place; none when heads are folded (the product makes its own). */
    private Operand newScores(INDArray like) {
        return headsInPlace ? scoresOperand(Nd4j.createUninitialized(like.dataType(), (long) batch * heads, queries, seq)) : null;
    }

    /** A new [B, rows, D] result with heads in place; none when heads are folded. */
    private Operand newRows(INDArray like, int rows) {
        int d = heads * headDim;
        return headsInPlace ? new Operand(Nd4j.createUninitialized(like.dataType(), batch, rows, d), rows, d, 0) : null;
    }

    /**
     * For every (example, head): {@code alpha * op(a) op(b)} into its [m, n] block of {@code c},
     * which is returned; with heads folded, batched products into a new array instead.
     */
    private INDArray eachHead(boolean transA, boolean transB, int m, int n, int k, double alpha,
                              Operand a, Operand b, Operand c) {
        if (!headsInPlace) {
            INDArray product = Nd4j.matmul(a.array(), b.array(), transA, transB, false);
            return alpha == 1.0 ? product : product.muli(alpha);
        }
        INDArray ca = c.array();
        if (VectorMath.applies(a.array(), b.array(), ca)
                && Math.max(a.array().length(), Math.max(b.array().length(), ca.length())) <= Integer.MAX_VALUE) {
            HeadProducts products = new HeadProducts(transA, transB, m, n, k, alpha);
            FloatBuffer av = RowMajor.floats(a.array());
            FloatBuffer bv = RowMajor.floats(b.array());
            FloatBuffer cv = RowMajor.floats(ca);
            Halves.run(batch * heads, 1, PARALLEL_BLOCKS, (from, to) -> {
                HeadProducts.Scratch scratch = products.new Scratch();
                for (int block = from; block < to; block++) {
                    int e = block / heads;
                    int h = block % heads;
                    scratch.multiply(av, (int) offset(a, e, h), a.width(), bv, (int) offset(b, e, h), b.width(),
                            cv, (int) offset(c, e, h), c.width());
                }
            });
            return ca;
        }
        for (int e = 0; e < batch; e++) {
            for (int h = 0; h < heads; h++) {
                Blas.gemm(transA, transB, m, n, k, alpha, a.array(), offset(a, e, h), a.width(), b.array(), offset(b, e, h),
                        b.width(), 0.0, ca, offset(c, e, h), c.width());
            }
        }
        return ca;
    }

    private long offset(Operand x, int example, int h) {
        return x.rows() == SCORES ? ((long) example * heads + h) * queries * seq
                : (long) example * x.rows() * x.width() + x.column() + (long) h * headDim;
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
