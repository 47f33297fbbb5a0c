import clip.layers.ActivationKind;
import clip.layers.VectorMath;
import java.util.EnumSet;
import java.util.Set;

/**
 * What compiling the vector kernels first costs a fresh JVM (VectorMath#compileForwardKernels),
 * for the activation kinds given, and what a later call costs once they are compiled.
 * BENCHMARKS.md ("Thirteenth session") quotes it, pinned to one core as an embedding task is:
 *
 *   taskset -c 0 java --add-modules jdk.incubator.vector \
 *       -cp "core/target/classes:$(cat spark-job/target/classpath.txt)" bench/CompileFirstCost.java GELU
 *   ... bench/CompileFirstCost.java GELU GELU_TANH QUICK_GELU    # every kind, as before that session
 */
public class CompileFirstCost {
    public static void main(String[] args) {
        Set<ActivationKind> kinds = EnumSet.noneOf(ActivationKind.class);
        for (String a : args) {
            kinds.add(ActivationKind.valueOf(a));
        }
        long t0 = System.nanoTime();
        VectorMath.compileForwardKernels(kinds);
        long t1 = System.nanoTime();
        VectorMath.compileTrainingKernels(kinds);
        long t2 = System.nanoTime();
        VectorMath.compileForwardKernels(kinds);
        long t3 = System.nanoTime();
        System.out.printf("%s: forward kernels %.2f s, then backward %.2f s; forward again %.1f ms%n", kinds,
                (t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t2) / 1e6);
    }
}
