package clip.layers;

import java.util.Set;
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
     * Compiles the forward pass's kernels that JDK 17's C2 was seen to compile badly, once per
     * JVM, before the caller's concurrent work reaches them: call it before an embedding pass.
     * C2 sometimes compiles a Vector API kernel with every vector it stores boxed on the heap
     * when the Vector API's shared code was profiled with other vector classes first
     * (bench/FmaPeak.java shows the mechanism: of two species, the one compiled second runs 20-30
     * times slower). That hit GELU's kernels (and attention's products, then a Java kernel) in
     * about half the runs of a pinned embedding task (15% slower) and of the tiny training step at
     * batch 64 (30% slower); run first here, on one thread, they compile clean (BENCHMARKS.md,
     * "Eleventh session"). The first call takes about as long as C2 takes to compile them, which the
     * caller's first batches would otherwise spend; later calls take a few milliseconds.
     * Only the activations the model applies: the kernels of the two kinds a model does not use
     * cost half a second of a pinned core (BENCHMARKS.md, "Thirteenth session").
     */
    public static void compileForwardKernels(Set<ActivationKind> activations) {
        if (MODULE) {
            VectorKernels.compileActivations(activations, false);
        }
    }

    /** As {@link #compileForwardKernels}, and then the backward pass's: call it before a training step. */
    public static void compileTrainingKernels(Set<ActivationKind> activations) {
        if (MODULE) {
            compileForwardKernels(activations);
            VectorKernels.compileActivations(activations, true);
        }
    }
}
