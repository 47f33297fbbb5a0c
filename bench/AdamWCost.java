import clip.optim.AdamW;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What AdamW costs a worker a step under each `dist.update` (issue 16): the update of the whole
 * tiny architecture (9,605,505 floats, what every worker runs when the update is replicated)
 * against a half of it (a shard of two workers, sharded), on one thread, as a worker of one core
 * runs it, and on two. Seven rounds of five updates each; the first two are the JIT's.
 *
 *   mvn -B -ntp -o -q -DskipTests package
 *   java -cp "spark-job/target/classes:$(cat spark-job/target/classpath.txt)" bench/AdamWCost.java
 */
public class AdamWCost {
    public static void main(String[] args) {
        int whole = 9_605_505;
        for (int threads : new int[] {1, 2}) {
            Nd4j.getEnvironment().setMaxThreads(threads);
            for (int n : new int[] {whole, whole / 2}) {
                INDArray p = Nd4j.rand(DataType.FLOAT, n);
                INDArray g = Nd4j.rand(DataType.FLOAT, n);
                INDArray m = Nd4j.zeros(DataType.FLOAT, n);
                INDArray v = Nd4j.zeros(DataType.FLOAT, n);
                AdamW adamW = new AdamW(0.9, 0.98, 1e-6);
                StringBuilder line = new StringBuilder(String.format("%d thread(s), %,d floats: ms per update", threads, n));
                long step = 0;
                for (int round = 0; round < 7; round++) {
                    long t0 = System.nanoTime();
                    for (int i = 0; i < 5; i++) {
                        adamW.update(p, g, m, v, 1e-3, 0.1, ++step);
                    }
                    line.append(String.format(" %.1f", (System.nanoTime() - t0) / 5e6));
                }
                System.out.println(line);
            }
        }
    }
}
