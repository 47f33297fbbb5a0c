package clip.layers;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Linear -> GELU -> Linear, the projection head of the common ViT+BERT CLIP recipe; named as
 * the PyTorch {@code nn.Sequential} it comes from ({@code 0.weight}, {@code 2.weight}).
 */
public final class MlpProjection extends Module implements Layer {
    private final Linear first;
    private final Activation activation = activation(new Activation(ActivationKind.GELU));
    private final Linear second;

    public MlpProjection(int in, int hidden, int out, Init init) {
        this.first = child("0", new Linear(in, hidden, true, init));
        this.second = child("2", new Linear(hidden, out, true, init));
    }

    @Override
    public INDArray forward(INDArray x) {
        return second.forward(activation.forward(first.forward(x)));
    }

    @Override
    public INDArray backward(INDArray dy) {
        return first.backward(activation.backward(second.backward(dy)));
    }
}
