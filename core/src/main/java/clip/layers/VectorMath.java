package clip.layers;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Whether the SIMD kernels of {@link VectorKernels} can run on some arrays. They need the JDK's
 * incubating Vector API, which a JVM only has when started with
 * {@code --add-modules=jdk.incubator.vector} (bin/clip, the cluster scripts and the tests do);
 * without it, and for other data types or backends, layers use their ND4J formulation. This
 * class must not touch the Vector API itself: it is what keeps {@link VectorKernels} unloaded
 * where the module is missing.
 */
public final class VectorMath {
    private static final boolean MODULE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    private VectorMath() {
    }

    /** Float arrays in packed row-major order on the CPU backend, in a JVM with the Vector API. */
    static boolean applies(INDArray... arrays) {
        if (!MODULE || !Nd4j.getEnvironment().isCPU()) {
            return false;
        }
        for (INDArray x : arrays) {
            if (x.dataType() != DataType.FLOAT || !RowMajor.isPacked(x)) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@code a += b} for arrays of one shape, in place; returns {@code a}. ND4J dispatches each
     * element-wise op with an overhead that made the residual and gradient sums of a small
     * tower's layers 5-10% of its step. Float addition is exactly rounded, so the bits are ND4J's.
     */
    static INDArray addi(INDArray a, INDArray b) {
        if (a.length() == b.length() && java.util.Arrays.equals(a.shape(), b.shape()) && applies(a, b)) {
            VectorKernels.addInPlace(a, b);
            return a;
        }
        return a.addi(b);
    }

    /** {@code x[..., :] += row} over the last axis, in place (a linear layer's bias); returns {@code x}. */
    static INDArray addiRowVector(INDArray x, INDArray row) {
        if (x.size(x.rank() - 1) == row.length() && applies(x, row)) {
            VectorKernels.addRowInPlace(x, row);
            return x;
        }
        return x.addiRowVector(row);
    }

    /** Whether this JVM has the Vector API, so float layers on the CPU get the SIMD kernels. */
    public static boolean moduleLoaded() {
        return MODULE;
    }

    /**
     * Runs the activations' forward kernels on one chunk until C2 has compiled them, before the
     * caller's concurrent work (a forward pass beside decode threads) reaches them. JDK 17's C2
     * sometimes compiles a Vector API kernel with every vector it stores boxed on the heap when
     * the Vector API's shared code was profiled with other vector classes first (bench/FmaPeak.java
     * shows the mechanism: of two species, the one compiled second runs 20-30 times slower). In
     * pinned embedding runs that hit GELU's forward kernel in about half the runs and made the
     * task 15% slower; compiled here first, it did not happen in 6 runs of 6 (BENCHMARKS.md).
     * Once compiled, a call costs a few tens of milliseconds.
     */
    public static void compileActivations() {
        if (MODULE) {
            VectorKernels.compileActivations();
        }
    }
}

