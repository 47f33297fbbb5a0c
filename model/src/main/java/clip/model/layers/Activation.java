package clip.model.layers;

import org.nd4j.linalg.api.ndarray.INDArray;

/** An element-wise activation as a layer: keeps its input for the backward pass. */
public final class Activation {
    private final ActivationKind kind;
    private INDArray input;

    public Activation(ActivationKind kind) {
        this.kind = kind;
    }

    public INDArray forward(INDArray x) {
        input = x;
        return kind.apply(x);
    }

    public INDArray backward(INDArray dy) {
        return kind.derivative(input).muli(dy);
    }
}
