package clip.layers;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/** BERT/ViT pooler: tanh(dense(h_cls)). */
public final class TanhPooler extends Module implements Layer {
    private final Linear dense;
    private INDArray output;

    public TanhPooler(int dim, Init init) {
        this.dense = child("dense", new Linear(dim, dim, true, init));
    }

    @Override
    public INDArray forward(INDArray cls) {
        output = Transforms.tanh(dense.forward(cls), false);
        return output;
    }

    @Override
    public INDArray backward(INDArray dy) {
        return dense.backward(output.mul(output).rsubi(1).muli(dy));
    }
}
