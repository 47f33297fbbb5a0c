package clip.layers;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A trainable tensor and the gradient accumulated into it by backward passes.
 * The gradient is allocated on first use so that inference never pays for it.
 */
public final class Parameter {
    private INDArray value;
    private INDArray grad;
    private boolean trainable = true;

    public Parameter(INDArray value) {
        this.value = value;
    }

    public INDArray value() {
        return value;
    }

    /** Replaces the value in place (same shape), e.g. when loading a checkpoint. */
    public void assign(INDArray newValue) {
        if (!java.util.Arrays.equals(value.shape(), newValue.shape())) {
            throw new IllegalArgumentException("shape " + java.util.Arrays.toString(newValue.shape())
                    + " does not match parameter shape " + java.util.Arrays.toString(value.shape()));
        }
        value.assign(newValue);
    }

    /**
     * The gradient buffer, zero-initialised on first access; allocated outside any step
     * workspace because it outlives the step.
     */
    public INDArray grad() {
        if (grad == null) {
            grad = StepMemory.outside(() -> Nd4j.zeros(value.dataType(), value.shape()));
        }
        return grad;
    }

    /**
     * Reads {@code source}'s tensor from now on (a twin of the model for another part of the
     * batch: same weights, its own gradient); the twin's own tensor is freed at once.
     */
    public void shareValue(Parameter source) {
        if (!java.util.Arrays.equals(value.shape(), source.value.shape()) || value.dataType() != source.value.dataType()) {
            throw new IllegalArgumentException("cannot share a " + source.value.dataType() + " "
                    + java.util.Arrays.toString(source.value.shape()) + " tensor with a " + value.dataType() + " "
                    + java.util.Arrays.toString(value.shape()) + " parameter");
        }
        if (value != source.value) {
            value.close();
            value = source.value;
        }
    }

    public boolean hasGrad() {
        return grad != null;
    }

    /** Adds {@code g} into the gradient unless the parameter is frozen. */
    public void accumulate(INDArray g) {
        if (trainable) {
            grad().addi(g);
        }
    }

    public void zeroGrad() {
        if (grad != null) {
            zero(grad);
        }
    }

    /**
     * Adds {@code other}'s gradient into this one's and zeroes {@code other}'s (a twin's, after a
     * step run in parts); one pass each instead of ND4J's dispatches.
     */
    public void takeGradient(Parameter other) {
        if (other.grad == null) {
            return;
        }
        if (trainable) {
            VectorMath.addi(grad(), other.grad);
        }
        zero(other.grad);
    }

    private static void zero(INDArray a) {
        if (RowMajor.isPacked(a) && Nd4j.getEnvironment().isCPU()) {
            org.bytedeco.javacpp.Pointer.memset(new org.bytedeco.javacpp.BytePointer(a.data().addressPointer()), 0,
                    a.length() * a.dataType().width());
        } else {
            a.assign(0);
        }
    }

    public boolean trainable() {
        return trainable;
    }

    public void setTrainable(boolean trainable) {
        this.trainable = trainable;
    }

    public long size() {
        return value.length();
    }
}
