package clip.model.layers;

import org.nd4j.linalg.api.ndarray.INDArray;

/** An element-wise activation as a layer: keeps its input, and what the derivative reuses, for the backward pass. */
public final class Activation {
    private final ActivationKind kind;
    private INDArray input;
    private INDArray saved;

    public Activation(ActivationKind kind) {
        this.kind = kind;
    }

    public INDArray forward(INDArray x) {
        input = x;
        ActivationKind.Applied a = kind.apply(x);
        saved = a.saved();
        return a.output();
    }

    public INDArray backward(INDArray dy) {
        return kind.derivative(input, saved).muli(dy);
    }
}
