import clip.layers.NativeThreads;
import clip.optim.AdamW;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What AdamW costs a worker a step under each `dist.update` (issue 16): the update of the whole
 * tiny architecture (9,605,505 floats, what every worker runs when the update is replicated)
 * against a half of it (a shard of two workers, sharded), on THREADS threads: 1 as a worker of
 * one core (or a step cut into parts) runs it, 2 as a worker of two. Seven rounds of five updates
 * each; the first two are the JIT's. One thread count per JVM: a second count in the same JVM
 * ran 40-70% slower than in a fresh one, whichever came first (the JIT's code for the first).
 *
 *   mvn -B -ntp -o -q -DskipTests package
 *   java -cp "spark-job/target/classes:$(cat spark-job/target/classpath.txt)" bench/AdamWCost.java THREADS
 */
public class AdamWCost {
    public static void main(String[] args) {
        int whole = 9_605_505;
        int threads = Integer.parseInt(args[0]);
        if (threads != 1 && threads != 2) {
            throw new IllegalArgumentException("THREADS must be 1 or 2, got " + threads);
        }
        // NativeThreads is what a step cut into parts uses; ND4J's setMaxThreads does nothing in 1.0.0-M2.1
        try (NativeThreads single = threads == 1 ? NativeThreads.single() : null) {
            run(threads, whole);
        }
    }

    private static void run(int threads, int whole) {
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
