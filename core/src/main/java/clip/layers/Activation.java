package clip.layers;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * An element-wise activation as a layer. {@link #forward} keeps its input (and, on the ND4J path,
 * what the derivative reuses) for the backward pass, where the vector kernels recompute the
 * derivative from it. {@link #forwardWithSlope} computes the derivative along with the output
 * instead and keeps only that: a training step's transformer layers take it, so the backward
 * pass multiplies where it would evaluate exp and erf a second time.
 */
public final class Activation {
    private final ActivationKind kind;
    private INDArray input;
    private INDArray saved;
    /** The derivative at the last input, when {@link #forwardWithSlope} computed it. */
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
        vectorised = hasKernel(x);
        if (vectorised) {
            saved = null;
            return VectorKernels.activation(kind, x);
        }
        ActivationKind.Applied a = kind.apply(x);
        saved = a.saved();
        return a.output();
    }

    /** Whether {@link #forwardWithSlope} takes {@code x}: a vector kernel computes this activation of it. */
    public boolean hasKernel(INDArray x) {
        return kind != ActivationKind.RELU && VectorMath.applies(x);
    }

    /**
     * The activation of {@code x} into {@code out}, and its derivative at x into {@code slope},
     * which is all the backward pass reads: {@code x} may die after this call. The output has
     * {@link #forward}'s bits and the backward pass gives its bits too.
     */
    public void forwardWithSlope(INDArray x, INDArray out, INDArray slope) {
        if (!hasKernel(x) || !VectorMath.applies(out, slope)) {
            throw new IllegalArgumentException("only the vector kernels compute a slope, of packed float arrays");
        }
        VectorKernels.activationWithSlope(kind, x, out, slope);
        input = null;
        saved = null;
        this.slope = slope;
        vectorised = true;
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
