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
        vectorised = keepsOnlyInput(x);
        if (vectorised) {
            saved = null;
            return VectorKernels.activation(kind, x);
        }
        ActivationKind.Applied a = kind.apply(x);
        saved = a.saved();
        return a.output();
    }

    /**
     * Whether {@code forward(x)} keeps nothing but {@code x}: then its output may live in scratch
     * memory and be {@link #recompute recomputed} for the backward pass, bit for bit.
     */
    public boolean keepsOnlyInput(INDArray x) {
        return kind != ActivationKind.RELU && VectorMath.applies(x);
    }

    /** The last forward pass's output again, computed from its kept input as it was the first time. */
    public INDArray recompute() {
        if (!vectorised) {
            throw new IllegalStateException("only the vector kernels' activations are recomputed");
        }
        return VectorKernels.activation(kind, input);
    }

    public INDArray backward(INDArray dy) {
        if (vectorised) {
            return VectorKernels.activationBackward(kind, input, VectorMath.applies(dy) ? dy : dy.dup('c'));
        }
        return kind.derivative(input, saved).muli(dy);
    }
}
