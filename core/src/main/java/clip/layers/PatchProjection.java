package clip.layers;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Conv2d with kernel = stride = patch (the ViT/CLIP patch embedding), computed as im2col
 * (a reshape and one permute, since patches do not overlap) and one matrix product. The
 * weight keeps PyTorch's [D, C, p, p] layout so checkpoints load as they are.
 */
public final class PatchProjection extends Module {
    private final Parameter weight;
    private final Parameter bias;
    private final int channels;
    private final int patch;
    private final int dim;
    private INDArray patches;

    public PatchProjection(int channels, int patch, int dim, boolean hasBias, Init init) {
        this.channels = channels;
        this.patch = patch;
        this.dim = dim;
        this.weight = param("weight", init.normal(dim, channels, patch, patch));
        this.bias = hasBias ? param("bias", init.zeros(dim)) : null;
    }

    /** @param pixels [B, C, H, W]; returns [B, (H/p)*(W/p), D], patches in row-major grid order */
    public INDArray forward(INDArray pixels) {
        long b = pixels.size(0);
        long h = pixels.size(2) / patch;
        long w = pixels.size(3) / patch;
        if (pixels.size(1) != channels || pixels.size(2) % patch != 0 || pixels.size(3) % patch != 0) {
            throw new IllegalArgumentException("pixels " + java.util.Arrays.toString(pixels.shape())
                    + " do not tile into " + channels + "-channel patches of " + patch);
        }
        patches = pixels.reshape('c', b, channels, h, patch, w, patch).permute(0, 2, 4, 1, 3, 5).dup('c')
                .reshape('c', b * h * w, (long) channels * patch * patch);
        INDArray y = Nd4j.gemm(patches, flatWeight(weight.value()), false, true);
        if (bias != null) {
            y.addiRowVector(bias.value());
        }
        return y.reshape('c', b, h * w, dim);
    }

    /** Accumulates the weight (and bias) gradient; pixels need no gradient. */
    public void backward(INDArray dy) {
        INDArray dy2 = dy.reshape('c', patches.size(0), dim);
        if (weight.trainable()) {
            Nd4j.gemm(dy2, patches, flatWeight(weight.grad()), true, false, 1.0, 1.0);
        }
        if (bias != null && bias.trainable()) {
            ColumnSums.addTo(dy2, bias.grad());
        }
    }

    private INDArray flatWeight(INDArray w) {
        return w.reshape('c', dim, (long) channels * patch * patch);
    }
}
