package clip.layers;

import org.nd4j.linalg.api.ndarray.INDArray;

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
        this.activation = new Activation(act);
    }

    public INDArray forward(INDArray x, AttentionMask mask) {
        if (preNorm) {
            INDArray h = x.add(attention.forward(norm1.forward(x), mask));
            return h.addi(mlp(norm2.forward(h)));
        }
        INDArray h = norm1.forward(x.add(attention.forward(x, mask)));
        return norm2.forward(h.add(mlp(h)));
    }

    public INDArray backward(INDArray dy) {
        if (preNorm) {
            INDArray dh = dy.add(norm2.backward(mlpBackward(dy)));
            return dh.addi(norm1.backward(attention.backward(dh)));
        }
        INDArray dSum2 = norm2.backward(dy);
        INDArray dh = dSum2.add(mlpBackward(dSum2));
        INDArray dSum1 = norm1.backward(dh);
        return dSum1.add(attention.backward(dSum1));
    }

    public SelfAttention attention() {
        return attention;
    }

    private INDArray mlp(INDArray x) {
        return fc2.forward(activation.forward(fc1.forward(x)));
    }

    private INDArray mlpBackward(INDArray dy) {
        return fc1.backward(activation.backward(fc2.backward(dy)));
    }
}
