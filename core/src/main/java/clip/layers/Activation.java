package clip.layers;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * An element-wise activation as a layer: keeps its input (and, on the ND4J path, what the
 * derivative reuses) for the backward pass. The vector kernels recompute the derivative from the
 * input instead, which keeps one array per layer fewer alive until the backward pass.
 */
public final class Activation {
    private final ActivationKind kind;
    private INDArray input;
    private INDArray saved;
    /** The derivative at the kept input, when {@link #recompute} computed it along with the output. */
    private INDArray slope;
    private boolean vectorised;

    public Activation(ActivationKind kind) {
        this.kind = kind;
    }

    public ActivationKind kind() {
        return kind;
    }

    public INDArray forward(INDArray x) {
        input = x;
        slope = null;
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

    /**
     * The last forward pass's output again, computed from its kept input as it was the first time;
     * the derivative comes out of the same pass and waits for {@link #backward}.
     */
    public INDArray recompute() {
        if (!vectorised) {
            throw new IllegalStateException("only the vector kernels' activations are recomputed");
        }
        slope = Nd4j.createUninitialized(input.dataType(), input.shape());
        return VectorKernels.activationWithSlope(kind, input, slope);
    }

    public INDArray backward(INDArray dy) {
        if (vectorised) {
            INDArray d = VectorMath.applies(dy) ? dy : dy.dup('c');
            if (slope != null) {
                INDArray dx = VectorKernels.times(slope, d);
                slope = null;
                return dx;
            }
            return VectorKernels.activationBackward(kind, input, d);
        }
        return kind.derivative(input, saved).muli(dy);
    }
}
