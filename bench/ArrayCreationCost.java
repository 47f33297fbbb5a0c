import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What creating one small ND4J array costs (its Java objects, its native data and shape buffers),
 * with and without JavaCPP's resident-memory check, which reads /proc at every tracked native
 * allocation. BENCHMARKS.md ("Fourteenth session") quotes it, pinned, one JVM each way:
 *
 *   taskset -c 0 java -Xmx2g -XX:+UseSerialGC -Xmn12m -cp "$(cat spark-job/target/classpath.txt)" bench/ArrayCreationCost.java
 *   taskset -c 0 java -Xmx2g -XX:+UseSerialGC -Xmn12m -Dorg.bytedeco.javacpp.maxPhysicalBytes=0 \
 *       -cp "$(cat spark-job/target/classpath.txt)" bench/ArrayCreationCost.java
 */
public class ArrayCreationCost {
    public static void main(String[] args) {
        int arrays = 100_000;
        for (int round = 0; round < 5; round++) { // the first rounds warm the JIT
            long t0 = System.nanoTime();
            for (int i = 0; i < arrays; i++) {
                Nd4j.createUninitialized(DataType.FLOAT, 16, 16);
            }
            System.out.printf("round %d: %.2f us per [16, 16] array%n", round, (System.nanoTime() - t0) / 1e3 / arrays);
        }
    }
}
