package clip.layers;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * An element-wise activation as a layer: keeps its input (and, on the ND4J path, what the
 * derivative reuses) for the backward pass. The vector kernels recompute the derivative from the
 * input instead, which keeps one array per layer fewer alive until the backward pass.
 */
public final class Activation {
    private final ActivationKind kind;
    private INDArray input;
    private INDArray saved;
    private boolean vectorised;

    public Activation(ActivationKind kind) {
        this.kind = kind;
    }

    public INDArray forward(INDArray x) {
        input = x;
        vectorised = kind != ActivationKind.RELU && VectorMath.applies(x);
        if (vectorised) {
            saved = null;
            return VectorKernels.activation(kind, x);
        }
        ActivationKind.Applied a = kind.apply(x);
        saved = a.saved();
        return a.output();
    }

    public INDArray backward(INDArray dy) {
        if (vectorised) {
            return VectorKernels.activationBackward(kind, input, VectorMath.applies(dy) ? dy : dy.dup('c'));
        }
        return kind.derivative(input, saved).muli(dy);
    }
}
