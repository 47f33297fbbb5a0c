package clip.layers;

import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
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
        patches = im2col(pixels, b, h, w);
        INDArray y = Blas.product(patches, false, flatWeight(weight.value()), true);
        if (bias != null) {
            VectorMath.addiRowVector(y, bias.value());
        }
        return RowMajor.reshape(y, b, h * w, dim);
    }

    /**
     * [B*h*w, C*p*p]: each patch's pixels in the weight's (C, p, p) order. Packed float pixels
     * are copied a patch row at a time: ND4J's six-axis permute and copy took ~1% of a small step.
     */
    private INDArray im2col(INDArray pixels, long b, long h, long w) {
        INDArray out = Nd4j.createUninitialized(pixels.dataType(), b * h * w, (long) channels * patch * patch);
        if (pixels.dataType() != DataType.FLOAT || !RowMajor.isPacked(pixels)) {
            return out.assign(RowMajor.reshape(pixels, b, channels, h, patch, w, patch).permute(0, 2, 4, 1, 3, 5)
                    .reshape('c', b * h * w, (long) channels * patch * patch));
        }
        FloatBuffer from = RowMajor.floats(pixels);
        FloatBuffer to = RowMajor.floats(out);
        int width = (int) (w * patch);
        int plane = (int) (h * patch) * width;
        float[] row = new float[patch];
        int at = 0;
        for (int n = 0; n < b; n++) {
            for (int gy = 0; gy < h; gy++) {
                for (int gx = 0; gx < w; gx++) {
                    for (int c = 0; c < channels; c++) {
                        int corner = (n * channels + c) * plane + gy * patch * width + gx * patch;
                        for (int py = 0; py < patch; py++) {
                            from.get(corner + py * width, row);
                            to.put(at, row);
                            at += patch;
                        }
                    }
                }
            }
        }
        return out;
    }

    /** Accumulates the weight (and bias) gradient; pixels need no gradient. */
    public void backward(INDArray dy) {
        INDArray dy2 = RowMajor.reshape(dy, patches.size(0), dim);
        if (weight.trainable()) {
            Blas.gemm(dy2, true, patches, false, 1.0, 1.0, flatWeight(weight.grad()));
        }
        if (bias != null && bias.trainable()) {
            ColumnSums.addTo(dy2, bias.grad());
        }
    }

    private INDArray flatWeight(INDArray w) {
        return RowMajor.reshape(w, dim, (long) channels * patch * patch);
    }
}
