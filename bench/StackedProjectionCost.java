import clip.layers.Init;
import clip.layers.Linear;
import clip.layers.StackedLinear;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Attention's query, key and value projections, forward and backward, as three products each
 * (before) and stacked (StackedLinear), alternating in one JVM so that the host's swings fall on
 * both alike. The three-product side leaves out the two sums of its dx, which the stacked side
 * does not need, so the saving it prints is a lower bound. Run it as a step's part runs, on one
 * core with single-threaded products; BENCHMARKS.md ("Fourteenth session") quotes it:
 *
 *   OMP_NUM_THREADS=1 taskset -c 0 java --add-modules jdk.incubator.vector \
 *       -cp "core/target/classes:$(cat spark-job/target/classpath.txt)" bench/StackedProjectionCost.java 1040 192 400
 *   (rows = 16 examples x 65 tokens, the tiny image tower's part of batch 32; 512 for its text tower)
 */
public class StackedProjectionCost {
    public static void main(String[] args) {
        int rows = Integer.parseInt(args[0]);
        int dim = Integer.parseInt(args[1]);
        int reps = Integer.parseInt(args[2]);
        Init init = new Init(1, DataType.FLOAT, 0.02);
        Linear[] separate = {new Linear(dim, dim, true, init), new Linear(dim, dim, true, init), new Linear(dim, dim, true, init)};
        Linear[] parts = {new Linear(dim, dim, true, init), new Linear(dim, dim, true, init), new Linear(dim, dim, true, init)};
        StackedLinear stacked = new StackedLinear(parts);
        INDArray x = new Init(2, DataType.FLOAT, 1).normal(rows, dim).value();
        INDArray dy = new Init(3, DataType.FLOAT, 1).normal(rows, 3L * dim).value();
        INDArray[] dyParts = new INDArray[3];
        for (int i = 0; i < 3; i++) {
            dyParts[i] = dy.get(NDArrayIndex.all(), NDArrayIndex.interval((long) i * dim, (long) (i + 1) * dim)).dup('c');
        }
        double[] before = new double[reps];
        double[] after = new double[reps];
        for (int r = 0; r < reps; r++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < 3; i++) {
                separate[i].forward(x);
            }
            for (int i = 0; i < 3; i++) {
                separate[i].backward(dyParts[i]);
            }
            long t1 = System.nanoTime();
            stacked.forward(x);
            stacked.backward(dy);
            long t2 = System.nanoTime();
            before[r] = (t1 - t0) / 1e6;
            after[r] = (t2 - t1) / 1e6;
            for (int i = 0; i < 3; i++) {
                separate[i].zeroGrad();
                parts[i].zeroGrad();
            }
        }
        // The first half warms the JIT, the caches and the clock.
        double b = median(Arrays.copyOfRange(before, reps / 2, reps));
        double a = median(Arrays.copyOfRange(after, reps / 2, reps));
        System.out.printf("rows=%d dim=%d: three products each way %.3f ms, stacked %.3f ms (%.3fx), %.3f ms saved a layer%n",
                rows, dim, b, a, a / b, b - a);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
