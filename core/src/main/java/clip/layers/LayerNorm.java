package clip.layers;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/** LayerNorm over the last axis with a configurable epsilon (HF: 1e-12 for BERT/ViT, 1e-5 for CLIP). */
public final class LayerNorm extends Module implements Layer {
    private final Parameter gain;
    private final Parameter bias;
    private final int dim;
    private final double eps;
    /** The forward pass's input where the vector kernels ran (its input must not change before backward). */
    private INDArray input;
    private INDArray normalized;
    private INDArray rstd;
    private long[] shape;

    public LayerNorm(int dim, double eps, Init init) {
        this.dim = dim;
        this.eps = eps;
        this.gain = param("weight", init.ones(dim));
        this.bias = param("bias", init.zeros(dim));
    }

    @Override
    public INDArray forward(INDArray x) {
        shape = x.shape();
        INDArray x2 = RowMajor.reshape(x, x.length() / dim, dim);
        if (VectorMath.applies(x2, gain.value(), bias.value())) {
            // Keeps its input, not the normalised rows: the input stays in the step's memory anyway
            // (the residual stream), so the backward pass recomputes them for one array a layer less.
            input = x2;
            normalized = null;
            rstd = null;
            INDArray y = Nd4j.createUninitialized(x2.dataType(), x2.shape());
            VectorKernels.layerNorm(x2, gain.value(), bias.value(), eps, null, null, y);
            return RowMajor.reshape(y, shape);
        }
        input = null;
        INDArray centered = x2.subColumnVector(x2.mean(1).reshape(-1, 1));
        INDArray var = centered.mul(centered).mean(1).reshape(-1, 1);
        rstd = Transforms.pow(var.addi(eps), -0.5, false);
        normalized = centered.muliColumnVector(rstd);
        return normalized.mulRowVector(gain.value()).addiRowVector(bias.value()).reshape('c', shape);
    }

    @Override
    public INDArray backward(INDArray dy) {
        INDArray dy2 = RowMajor.reshape(dy, dy.length() / dim, dim);
        if (input != null) {
            normalized = Nd4j.createUninitialized(input.dataType(), input.shape());
            rstd = Nd4j.createUninitialized(input.dataType(), input.size(0), 1);
            VectorKernels.layerNorm(input, gain.value(), bias.value(), eps, normalized, rstd, null);
        }
        if (gain.trainable()) {
            ColumnSums.addProductTo(dy2, normalized, gain.grad());
        }
        if (bias.trainable()) {
            ColumnSums.addTo(dy2, bias.grad());
        }
        if (VectorMath.applies(dy2, normalized, rstd, gain.value())) {
            return RowMajor.reshape(VectorKernels.layerNormBackward(dy2, normalized, rstd, gain.value()), shape);
        }
        INDArray dxhat = dy2.mulRowVector(gain.value());
        INDArray meanDxhat = dxhat.mean(1).reshape(-1, 1);
        INDArray meanDxhatXhat = dxhat.mul(normalized).mean(1).reshape(-1, 1);
        INDArray dx = dxhat.subiColumnVector(meanDxhat).subi(normalized.mulColumnVector(meanDxhatXhat));
        return dx.muliColumnVector(rstd).reshape('c', shape);
    }
}
