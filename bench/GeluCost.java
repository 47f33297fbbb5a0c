import clip.layers.Activation;
import clip.layers.ActivationKind;
import clip.layers.NativeThreads;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Nanoseconds an element of GELU with its slope (what a training step's MLP runs forward) on one
 * thread, over a part's image-tower MLP activation of the tiny step ([1040, 768]), twelve rounds
 * of fifty calls; the first rounds are the JIT's. BENCHMARKS.md ("Nineteenth session") quotes the
 * last rounds.
 *
 *   mvn -B -ntp -o -q -DskipTests package
 *   OMP_NUM_THREADS=1 taskset -c 0 java --add-modules jdk.incubator.vector \
 *       -cp "spark-job/target/classes:$(cat spark-job/target/classpath.txt)" bench/GeluCost.java
 */
public class GeluCost {
    public static void main(String[] args) {
        try (NativeThreads single = NativeThreads.single()) {
            INDArray x = Nd4j.randn(DataType.FLOAT, 1040, 768).muli(2);
            INDArray out = Nd4j.create(DataType.FLOAT, 1040, 768);
            INDArray slope = Nd4j.create(DataType.FLOAT, 1040, 768);
            Activation gelu = new Activation(ActivationKind.GELU);
            StringBuilder line = new StringBuilder("GELU with its slope, ns an element:");
            for (int round = 0; round < 12; round++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < 50; i++) {
                    gelu.forwardWithSlope(x, out, slope);
                }
                line.append(String.format(" %.2f", (System.nanoTime() - t0) / 50.0 / x.length()));
            }
            System.out.println(line);
        }
    }
}
