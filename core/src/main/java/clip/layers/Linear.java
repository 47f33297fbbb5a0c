package clip.layers;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * y = x W^T + b over the last axis, W stored [out, in] as PyTorch does. Works on any leading
 * shape. Products go through {@link Blas} with transpose flags: mmul on a transposed view was
 * several times slower here.
 */
public final class Linear extends Module implements Layer {
    private final Parameter weight;
    private final Parameter bias;
    private final int in;
    private final int out;
    private INDArray input2d;
    private long[] inputShape;

    public Linear(int in, int out, boolean hasBias, Init init) {
        this.in = in;
        this.out = out;
        this.weight = param("weight", init.normal(out, in));
        this.bias = hasBias ? param("bias", init.zeros(out)) : null;
    }

    @Override
    public INDArray forward(INDArray x) {
        inputShape = x.shape();
        input2d = RowMajor.reshape(x, x.length() / in, in);
        INDArray y = Blas.product(input2d, false, weight.value(), true);
        if (bias != null) {
            VectorMath.addiRowVector(y, bias.value());
        }
        return RowMajor.reshape(y, outShape(inputShape, out));
    }

    /** Accumulates dW, db and returns dL/dx in the input's shape. */
    @Override
    public INDArray backward(INDArray dy) {
        INDArray dy2d = RowMajor.reshape(dy, dy.length() / out, out);
        if (weight.trainable()) {
            Blas.gemm(dy2d, true, input2d, false, 1.0, 1.0, weight.grad());
        }
        if (bias != null && bias.trainable()) {
            ColumnSums.addTo(dy2d, bias.grad());
        }
        return RowMajor.reshape(Blas.product(dy2d, false, weight.value(), false), inputShape);
    }

    /** The width of this layer's output. */
    public int outputs() {
        return out;
    }

    public Parameter weight() {
        return weight;
    }

    static long[] outShape(long[] shape, long last) {
        long[] s = shape.clone();
        s[s.length - 1] = last;
        return s;
    }
}
