package clip.layers;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The residual head of the "CLIP from scratch" recipe over frozen towers:
 * p = linear1(x); y = LayerNorm(p + dropout(linear2(gelu(p)))), linear1 and linear2 bias-free,
 * exact GELU, LayerNorm eps 1e-5; named as that recipe's {@code Projection} module.
 */
public final class ResidualProjection extends Module implements Layer {
    private final Linear linear1;
    private final Activation activation = activation(new Activation(ActivationKind.GELU));
    private final Linear linear2;
    private final Dropout dropout;
    private final LayerNorm norm;

    public ResidualProjection(int in, int out, double dropoutP, long seed, Init init) {
        this.linear1 = child("linear1", new Linear(in, out, false, init));
        this.linear2 = child("linear2", new Linear(out, out, false, init));
        this.dropout = new Dropout(dropoutP, seed);
        this.norm = child("layer_norm", new LayerNorm(out, 1e-5, init));
    }

    public void setTraining(boolean training) {
        dropout.setTraining(training);
    }

    /** True when a forward pass drops values (training with p > 0): its result depends on where the rows sit. */
    public boolean dropsOut() {
        return dropout.active();
    }

    /** Where the next forward pass's rows sit, for the dropout mask (see {@link Dropout}). */
    public void at(long step, int worker, long firstRow) {
        dropout.at(step, worker, firstRow);
    }

    @Override
    public INDArray forward(INDArray x) {
        INDArray p = linear1.forward(x);
        return norm.forward(p.add(dropout.forward(linear2.forward(activation.forward(p)))));
    }

    @Override
    public INDArray backward(INDArray dy) {
        INDArray dSum = norm.backward(dy);
        INDArray dp = dSum.add(activation.backward(linear2.backward(dropout.backward(dSum))));
        return linear1.backward(dp);
    }
}
