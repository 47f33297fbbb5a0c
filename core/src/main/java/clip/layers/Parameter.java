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
    /** A twin's gradient of a lookup table, by row: only the rows its part's tokens read (see {@link #keepRowGradients}). */
    private java.util.Map<Integer, float[]> rowGrads;
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

    /**
     * From now on {@link #addRows} keeps the gradient row by row, only for the rows it is given,
     * instead of in a dense [rows, dim] tensor: for a twin's word embeddings (30,522 rows, of which
     * a part reads a few hundred), whose gradient only ever goes to {@link #takeGradient}.
     */
    public void keepRowGradients() {
        if (rowGrads == null) {
            rowGrads = new java.util.HashMap<>();
        }
    }

    /**
     * {@code grad[ids[i], :] += updates[i, :]} in the order of i (a lookup table's backward pass:
     * repeated ids add up), unless the parameter is frozen; {@code updates} is packed [ids, dim].
     */
    public void addRows(int[] ids, INDArray updates) {
        if (!trainable) {
            return;
        }
        int dim = (int) updates.size(1);
        boolean floats = updates.dataType() == org.nd4j.linalg.api.buffer.DataType.FLOAT && RowMajor.isPacked(updates);
        if (rowGrads != null && floats) {
            float[] u = new float[ids.length * dim];
            RowMajor.floats(updates).get(u);
            for (int i = 0; i < ids.length; i++) {
                float[] row = rowGrads.computeIfAbsent(ids[i], k -> new float[dim]);
                for (int j = 0; j < dim; j++) {
                    row[j] += u[i * dim + j];
                }
            }
            return;
        }
        INDArray g = grad();
        if (floats && g.dataType() == org.nd4j.linalg.api.buffer.DataType.FLOAT && RowMajor.isPacked(g)) {
            java.nio.FloatBuffer buffer = RowMajor.floats(g);
            float[] u = new float[ids.length * dim];
            RowMajor.floats(updates).get(u);
            for (int i = 0; i < ids.length; i++) {
                int base = ids[i] * dim;
                for (int j = 0; j < dim; j++) {
                    buffer.put(base + j, buffer.get(base + j) + u[i * dim + j]);
                }
            }
        } else {
            for (int i = 0; i < ids.length; i++) {
                g.getRow(ids[i]).addi(updates.getRow(i));
            }
        }
    }

    /** Adds {@code g} into the gradient unless the parameter is frozen. */
    public void accumulate(INDArray g) {
        if (trainable) {
            grad().addi(g);
        }
    }

    public void zeroGrad() {
        if (rowGrads != null) {
            rowGrads.clear();
        }
        if (grad != null) {
            zero(grad);
        }
    }

    /**
     * Adds {@code other}'s gradient into this one's and zeroes {@code other}'s (a twin's, after a
     * step run in parts); one pass each instead of ND4J's dispatches.
     */
    public void takeGradient(Parameter other) {
        if (other.rowGrads != null) {
            // Row by row: each element is the same single float sum as the dense tensors' (rows the
            // other never read would add exactly +0 to a gradient that starts at +0).
            if (trainable && !other.rowGrads.isEmpty()) {
                takeRows(other.rowGrads);
            }
            other.rowGrads.clear();
        }
        if (other.grad == null) {
            return;
        }
        if (trainable) {
            VectorMath.addi(grad(), other.grad);
        }
        zero(other.grad);
    }

    private void takeRows(java.util.Map<Integer, float[]> rows) {
        INDArray g = grad();
        int dim = (int) (g.length() / g.size(0));
        if (g.dataType() == org.nd4j.linalg.api.buffer.DataType.FLOAT && RowMajor.isPacked(g)) {
            java.nio.FloatBuffer buffer = RowMajor.floats(g);
            float[] sum = new float[dim];
            rows.forEach((id, row) -> {
                buffer.get(id * dim, sum, 0, dim);
                for (int j = 0; j < dim; j++) {
                    sum[j] += row[j];
                }
                buffer.put(id * dim, sum, 0, dim);
            });
        } else {
            rows.forEach((id, row) -> g.getRow(id).addi(Nd4j.createFromArray(row).castTo(g.dataType())));
        }
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
