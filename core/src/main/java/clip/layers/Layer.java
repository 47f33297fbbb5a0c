package clip.layers;

import org.nd4j.linalg.api.ndarray.INDArray;

/** A differentiable map of one tensor: the forward keeps what backward needs. */
public interface Layer {
    INDArray forward(INDArray x);

    /** Accumulates parameter gradients and returns dL/dx. */
    INDArray backward(INDArray dy);
}
