package clip.layers;

import org.nd4j.linalg.api.ndarray.INDArray;

/** Rows scaled to unit L2 norm (the embeddings that enter the contrastive loss). */
public final class L2Normalize {
    private INDArray output;
    private INDArray norms;

    public INDArray forward(INDArray x) {
        norms = x.norm2(1).reshape(-1, 1);
        output = x.divColumnVector(norms);
        return output;
    }

    /** dx = (dy - y * rowsum(dy * y)) / |x| */
    public INDArray backward(INDArray dy) {
        INDArray dot = dy.mul(output).sum(1).reshape(-1, 1);
        return dy.sub(output.mulColumnVector(dot)).diviColumnVector(norms);
    }
}
