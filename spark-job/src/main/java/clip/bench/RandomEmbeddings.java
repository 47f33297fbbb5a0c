package clip.bench;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;

/** Stand-ins for a model's embeddings in benchmarks: float32 rows drawn at random and L2-normalised. */
public final class RandomEmbeddings {
    private RandomEmbeddings() {
    }

    public static INDArray unitRows(Random rng, long rows, int dim) {
        INDArray x = Nd4j.randn(rng, new long[] {rows, dim}).castTo(DataType.FLOAT);
        return x.diviColumnVector(x.norm2(1).reshape(rows, 1));
    }
}
