package clip.layers;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The head used over frozen towers: p = W1 x; y = LayerNorm(p + dropout(W2 gelu(p))).
 */
public final class ResidualProjection extends Module implements Layer {
    private final Linear projection;
    private final Activation activation = new Activation(ActivationKind.GELU);
    private final Linear fc;
    private final Dropout dropout;
    private final LayerNorm norm;

    public ResidualProjection(int in, int out, double dropoutP, long seed, Init init) {
        this.projection = child("projection", new Linear(in, out, true, init));
        this.fc = child("fc", new Linear(out, out, true, init));
        this.dropout = new Dropout(dropoutP, seed);
        this.norm = child("layer_norm", new LayerNorm(out, 1e-5, init));
    }

    public void setTraining(boolean training) {
        dropout.setTraining(training);
    }

    @Override
    public INDArray forward(INDArray x) {
        INDArray p = projection.forward(x);
        return norm.forward(p.add(dropout.forward(fc.forward(activation.forward(p)))));
    }

    @Override
    public INDArray backward(INDArray dy) {
        INDArray dSum = norm.backward(dy);
        INDArray dp = dSum.add(activation.backward(fc.backward(dropout.backward(dSum))));
        return projection.backward(dp);
    }
}
