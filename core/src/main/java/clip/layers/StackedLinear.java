package clip.layers;

import java.util.List;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Linear layers that read the same input (attention's query, key and value) applied as one
 * product against their weights stacked [sum of outs, in], and their backward pass as one
 * product each for dW and dx. At the tiny step's shapes a single-threaded sgemm of three times
 * the width runs 8-20% faster than three of one width (the weight gradient's product the most:
 * 65 against 77 GFLOP/s; BENCHMARKS.md, "Fourteenth session"), and dx needs no sums of three.
 * The layers keep their own parameters, so the checkpoint's layout (HuggingFace's separate q,
 * k, v) stays as it is: the stacked copy is made at each forward pass, a few hundred kilobytes
 * against products of tens of megaflops.
 */
public final class StackedLinear {
    private final List<Linear> parts;
    private final int in;
    private final int out;
    private final boolean hasBias;
    private INDArray weights;
    private INDArray input2d;
    private long[] inputShape;

    public StackedLinear(Linear... parts) {
        this.parts = List.of(parts);
        this.in = parts[0].in();
        this.hasBias = parts[0].bias() != null;
        int total = 0;
        for (Linear p : parts) {
            if (p.in() != in || (p.bias() != null) != hasBias) {
                throw new IllegalArgumentException("stacked layers must share their input width and whether they have a bias");
            }
            total += p.out();
        }
        this.out = total;
    }

    /** Whether {@code x} and every weight can go to BLAS directly (CPU backend, one type, packed). */
    public boolean applies(INDArray x) {
        if (!Blas.isDirect(x)) {
            return false;
        }
        for (Linear p : parts) {
            if (!Blas.isDirect(x, p.weight().value()) || (hasBias && !Blas.isDirect(x, p.bias().value()))) {
                return false;
            }
        }
        return true;
    }

    /** [..., in] to [..., sum of outs]: each layer's output in its own block of columns, in order. */
    public INDArray forward(INDArray x) {
        inputShape = x.shape();
        input2d = RowMajor.reshape(x, x.length() / in, in);
        weights = Nd4j.createUninitialized(x.dataType(), out, in);
        long row = 0;
        for (Linear p : parts) {
            copy(p.weight().value(), weights, row * in);
            row += p.out();
        }
        INDArray y = Blas.product(input2d, false, weights, true);
        if (hasBias) {
            INDArray biases = Nd4j.createUninitialized(x.dataType(), out);
            long column = 0;
            for (Linear p : parts) {
                copy(p.bias().value(), biases, column);
                column += p.out();
            }
            VectorMath.addiRowVector(y, biases);
        }
        return RowMajor.reshape(y, Linear.outShape(inputShape, out));
    }

    /** Accumulates every layer's dW and db from dy [..., sum of outs]; returns dL/dx in the input's shape. */
    public INDArray backward(INDArray dy) {
        INDArray dy2d = RowMajor.reshape(dy, dy.length() / out, out);
        if (parts.stream().anyMatch(p -> p.weight().trainable())) {
            addByRows(Blas.product(dy2d, true, input2d, false), false);
        }
        if (hasBias && parts.stream().anyMatch(p -> p.bias().trainable())) {
            INDArray sums = Nd4j.zeros(dy.dataType(), out);
            ColumnSums.addTo(dy2d, sums);
            addByRows(sums, true);
        }
        return RowMajor.reshape(Blas.product(dy2d, false, weights, false), inputShape);
    }

    /** Adds each layer's block of {@code stacked} ([sum of outs, in], or [sum of outs] for biases) into its gradient. */
    private void addByRows(INDArray stacked, boolean biases) {
        long row = 0;
        for (Linear p : parts) {
            Parameter target = biases ? p.bias() : p.weight();
            if (target.trainable()) {
                INDArray block = biases ? stacked.get(NDArrayIndex.interval(row, row + p.out()))
                        : stacked.get(NDArrayIndex.interval(row, row + p.out()), NDArrayIndex.all());
                VectorMath.addi(target.grad(), block);
            }
            row += p.out();
        }
    }

    /** Copies packed {@code from} into packed {@code to}, starting {@code offset} elements after its first. */
    private static void copy(INDArray from, INDArray to, long offset) {
        long width = from.dataType().width();
        Pointer.memcpy(new BytePointer(to.data().addressPointer()).position(offset * width),
                new BytePointer(from.data().addressPointer()), from.length() * width);
    }
}
