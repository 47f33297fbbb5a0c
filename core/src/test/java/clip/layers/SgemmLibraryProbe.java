package clip.layers;

import java.nio.file.Files;
import java.nio.file.Path;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Runs float products through {@link Blas} for every transpose, as the layers and attention's
 * blocks call it, then prints the largest error against the same products in double and whether
 * oneDNN's library is mapped into this process. {@link BlasTest} starts it in JVMs with and
 * without {@code -Dclip.sgemm=openblas}: the property is read once per JVM.
 */
public final class SgemmLibraryProbe {
    private SgemmLibraryProbe() {
    }

    public static void main(String[] args) throws Exception {
        Nd4j.getRandom().setSeed(5);
        double worst = 0;
        for (boolean transA : new boolean[] {false, true}) {
            for (boolean transB : new boolean[] {false, true}) {
                INDArray a = Nd4j.rand(DataType.FLOAT, transA ? 96 : 130, transA ? 130 : 96).subi(0.5);
                INDArray b = Nd4j.rand(DataType.FLOAT, transB ? 80 : 96, transB ? 96 : 80).subi(0.5);
                INDArray c = Nd4j.create(DataType.FLOAT, 130, 80);
                Blas.gemm(a, transA, b, transB, 1.0, 0.0, c);
                INDArray exact = Nd4j.create(DataType.DOUBLE, 130, 80);
                Blas.gemm(a.castTo(DataType.DOUBLE), transA, b.castTo(DataType.DOUBLE), transB, 1.0, 0.0, exact);
                worst = Math.max(worst, c.castTo(DataType.DOUBLE).sub(exact).amaxNumber().doubleValue());
            }
        }
        INDArray block = Nd4j.create(DataType.FLOAT, 65, 65);
        INDArray q = Nd4j.rand(DataType.FLOAT, 65, 192).subi(0.5);
        Blas.gemmOnThisThread(false, true, 65, 65, 64, 0.125, q, 64, 192, q, 64, 192, 0.0, block, 0, 65);
        INDArray head = q.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(64, 128)).castTo(DataType.DOUBLE);
        worst = Math.max(worst, block.castTo(DataType.DOUBLE).sub(head.mmul(head.transpose()).muli(0.125)).amaxNumber().doubleValue());
        boolean onednn = Files.readAllLines(Path.of("/proc/self/maps")).stream().anyMatch(l -> l.contains("libdnnl"));
        System.out.println("worst " + worst + " onednn " + onednn);
    }
}
