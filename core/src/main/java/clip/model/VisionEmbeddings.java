package clip.model;

import clip.layers.RowMajor;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** The [CLS] + patches + positions arithmetic that ViT and CLIP's vision tower share. */
final class VisionEmbeddings {
    private VisionEmbeddings() {
    }

    /** [B, N, D] patches -> [B, N+1, D] with the class token first. */
    static INDArray withClassToken(INDArray patchTokens, INDArray classToken) {
        long b = patchTokens.size(0);
        long n = patchTokens.size(1);
        long d = patchTokens.size(2);
        INDArray x = Nd4j.create(patchTokens.dataType(), b, n + 1, d);
        x.get(NDArrayIndex.all(), NDArrayIndex.interval(1, n + 1), NDArrayIndex.all()).assign(patchTokens);
        x.get(NDArrayIndex.all(), NDArrayIndex.point(0), NDArrayIndex.all()).assign(
                Nd4j.zeros(patchTokens.dataType(), b, d).addiRowVector(classToken));
        return x;
    }

    /** x [B, T, D] += positions ([T, D] or [1, T, D]), in place. */
    static void addPositions(INDArray x, INDArray positions) {
        RowMajor.reshape(x, x.size(0), -1).addiRowVector(positions.reshape(1, -1));
    }
}
