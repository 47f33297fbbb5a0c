package clip.layers;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One encoder layer in either layout:
 * post-LN (BERT): h = LN1(x + Attn(x)); y = LN2(h + MLP(h))
 * pre-LN (ViT, CLIP): h = x + Attn(LN1(x)); y = h + MLP(LN2(h))
 */
public final class TransformerLayer extends Module {
    private final boolean preNorm;
    private final SelfAttention attention;
    private final LayerNorm norm1;
    private final LayerNorm norm2;
    private final Linear fc1;
    private final Linear fc2;
    private final Activation activation;
    /** Whether the last forward pass kept nothing for a backward pass ({@link StepMemory#openForwardOnly}). */
    private boolean forwardOnly;
    /** The rows the last forward pass computed ({@link #forwardRows}), or null for all. */
    private int[] rows;

    public TransformerLayer(int dim, int heads, int mlpDim, boolean preNorm, boolean qkvBias, ActivationKind act,
                            double eps, LayerNames names, Init init) {
        this.preNorm = preNorm;
        // Registration order follows HF's state_dict order for each family.
        if (preNorm) {
            this.norm1 = child(names.norm1(), new LayerNorm(dim, eps, init));
            this.attention = child(names.attention(), new SelfAttention(dim, heads, qkvBias, names.attentionNames(), init));
        } else {
            this.attention = child(names.attention(), new SelfAttention(dim, heads, qkvBias, names.attentionNames(), init));
            this.norm1 = child(names.norm1(), new LayerNorm(dim, eps, init));
        }
        this.fc1 = child(names.fc1(), new Linear(dim, mlpDim, true, init));
        this.fc2 = child(names.fc2(), new Linear(mlpDim, dim, true, init));
        this.norm2 = child(names.norm2(), new LayerNorm(dim, eps, init));
        this.activation = activation(new Activation(act));
    }

    // Sums write into whichever operand was just made (a layer's fresh output), never into one
    // that a layer kept for its backward pass (LayerNorm keeps its input).
    public INDArray forward(INDArray x, AttentionMask mask) {
        rows = null;
        if (preNorm) {
            INDArray h = VectorMath.addi(attention.forward(norm1.forward(x), mask), x);
            return VectorMath.addi(mlp(norm2.forward(h)), h);
        }
        INDArray h = norm1.forward(VectorMath.addi(attention.forward(x, mask), x));
        return norm2.forward(VectorMath.addi(mlp(h), h));
    }

    /**
     * The layer's output at one row per example only, [B, 1, D]: what a tower's last layer needs
     * when only its pooled token is used (training, embedding). Every row still gives its key and
     * value; the other rows' queries, attention outputs and MLP, about five sixths of the layer's
     * products, are never computed.
     * @param mask the whole [B, T, T] mask, or null
     */
    public INDArray forwardRows(INDArray x, AttentionMask mask, int[] rows) {
        this.rows = rows;
        AttentionMask rowMask = mask == null ? null : mask.forRows(rows);
        if (preNorm) {
            INDArray normed = norm1.forward(x);
            INDArray h = VectorMath.addi(attention.forward(TokenPooling.select(normed, rows), normed, rowMask),
                    TokenPooling.select(x, rows));
            return VectorMath.addi(mlp(norm2.forward(h)), h);
        }
        INDArray h = norm1.forward(VectorMath.addi(attention.forward(TokenPooling.select(x, rows), x, rowMask),
                TokenPooling.select(x, rows)));
        return norm2.forward(VectorMath.addi(mlp(h), h));
    }

    /**
     * The MLP half, then the attention half, each in the same nested workspace: the second reuses
     * the first's temporaries' memory, and only the gradient between them is kept.
     */
    public INDArray backward(INDArray dy) {
        if (forwardOnly) {
            throw new IllegalStateException("the last forward pass ran in a forward-only workspace and kept nothing for a backward pass");
        }
        INDArray dMiddle;
        try (var half = StepMemory.openHalfLayerBackward()) {
            if (preNorm) {
                dMiddle = StepMemory.keep(VectorMath.addi(norm2.backward(mlpBackward(dy)), dy));
            } else {
                INDArray dSum2 = norm2.backward(dy);
                dMiddle = StepMemory.keep(norm1.backward(VectorMath.addi(mlpBackward(dSum2), dSum2)));
            }
        }
        try (var half = StepMemory.openHalfLayerBackward()) {
            if (rows != null) {
                return StepMemory.keep(attentionRowsBackward(dMiddle));
            }
            if (preNorm) {
                return StepMemory.keep(VectorMath.addi(norm1.backward(attention.backward(dMiddle)), dMiddle));
            }
            return StepMemory.keep(VectorMath.addi(attention.backward(dMiddle), dMiddle));
        }
    }

    /** The attention half of {@link #forwardRows}'s backward pass: dMiddle [B, 1, D] in, dx [B, T, D] out. */
    private INDArray attentionRowsBackward(INDArray dMiddle) {
        SelfAttention.Gradients g = attention.backwardQueries(dMiddle);
        INDArray dx;
        if (preNorm) {
            INDArray dNormed = g.input();
            TokenPooling.addAt(dNormed, rows, g.queryRows());
            dx = norm1.backward(dNormed);
        } else {
            dx = g.input();
            TokenPooling.addAt(dx, rows, g.queryRows());
        }
        TokenPooling.addAt(dx, rows, dMiddle);
        return dx;
    }

    public SelfAttention attention() {
        return attention;
    }

    /**
     * fc2(act(fc1(x))). In a training step fc1's output (four rows of the hidden size per token)
     * lives in scratch memory that the next layer reuses: the activation keeps its derivative
     * there instead, computed with its output, and the backward pass multiplies by it. In a
     * forward-only pass the activation's output goes to scratch memory too.
     */
    private INDArray mlp(INDArray x) {
        forwardOnly = false;
        if (!StepMemory.inWorkspace() || !activation.hasKernel(x)) {
            return fc2.forward(activation.forward(fc1.forward(x)));
        }
        if (!StepMemory.backwardFollows()) {
            forwardOnly = true;
            try (var scratch = StepMemory.openScratch()) {
                return StepMemory.keep(fc2.forward(activation.forward(fc1.forward(x))));
            }
        }
        long[] shape = Linear.outShape(x.shape(), fc1.outputs());
        INDArray out = Nd4j.createUninitialized(x.dataType(), shape);
        INDArray slope = Nd4j.createUninitialized(x.dataType(), shape);
        try (var scratch = StepMemory.openScratch()) {
            activation.forwardWithSlope(fc1.forward(x), out, slope);
        }
        return fc2.forward(out);
    }

    private INDArray mlpBackward(INDArray dy) {
        return fc1.backward(activation.backward(fc2.backward(dy)));
    }
}
