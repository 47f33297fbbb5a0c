package clip.layers;

import java.util.function.Supplier;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A reusable ND4J workspace for the temporaries of one step (activations, their gradients,
 * optimizer scratch). Fresh off-heap allocations cost ~4 ms per 6 MB here (page faults), which
 * made allocation, not arithmetic, the bulk of a step; inside the workspace the same memory is
 * reused from the second step on. Anything that outlives a step (parameters, gradients,
 * optimizer state, results handed back) must be created {@link #outside} it.
 */
public final class StepMemory {
    private static final WorkspaceConfiguration CONFIG = WorkspaceConfiguration.builder()
            .initialSize(0)
            .policyAllocation(AllocationPolicy.STRICT)
            .policyLearning(LearningPolicy.FIRST_LOOP)
            .policyReset(ResetPolicy.BLOCK_LEFT)
            .policySpill(SpillPolicy.REALLOCATE)
            .build();
    /** ND4J's id of a training step's workspace ({@link #open}), per thread. */
    public static final String STEP_ID = "clip-step";
    private static final String MICRO_ID = "clip-micro-batch";
    private static final String LAYER_ID = "clip-layer-backward";
    private static final String SCRATCH_ID = "clip-layer-scratch";
    private static final String HALF_ID = "clip-half-layer-backward";
    /** ND4J's id of the workspace of a pass that no backward pass follows ({@link #openForwardOnly}), per thread. */
    public static final String FORWARD_ONLY_ID = "clip-forward-only";

    private StepMemory() {
    }

    /** Opens the step's workspace on this thread; close it when the step ends. */
    public static MemoryWorkspace open() {
        return Nd4j.getWorkspaceManager().getAndActivateWorkspace(CONFIG, STEP_ID);
    }

    /**
     * The step's workspace for a forward pass that no backward pass follows (embedding, cached
     * features): layers then keep nothing for a backward pass ({@link #backwardFollows}).
     */
    public static MemoryWorkspace openForwardOnly() {
        return Nd4j.getWorkspaceManager().getAndActivateWorkspace(CONFIG, FORWARD_ONLY_ID);
    }

    /**
     * A workspace nested in the step's for one micro-batch's activations: closing it lets the
     * next micro-batch reuse the memory, which is what micro-batching is for.
     */
    public static MemoryWorkspace openMicroBatch() {
        return Nd4j.getWorkspaceManager().getAndActivateWorkspace(CONFIG, MICRO_ID);
    }

    /**
     * A workspace nested in the current one for one layer's backward pass: its temporaries die
     * when the layer is done, and the next layer reuses their memory. Only what the layer returns
     * may outlive it, moved out with {@link #keep}. Without this every temporary of a backward
     * pass stayed allocated until the end of the step.
     */
    public static MemoryWorkspace openLayerBackward() {
        return Nd4j.getWorkspaceManager().getAndActivateWorkspace(CONFIG, LAYER_ID);
    }

    /**
     * A workspace nested in the current one for half of a layer's backward pass (its MLP, its
     * attention): opened twice in a row, so the second half reuses the first's memory.
     */
    public static MemoryWorkspace openHalfLayerBackward() {
        return Nd4j.getWorkspaceManager().getAndActivateWorkspace(CONFIG, HALF_ID);
    }

    /**
     * A workspace nested in the current one for forward-pass temporaries that the backward pass
     * does not read (the input of a transformer layer's activation): the next layer reuses their
     * memory. Only what is moved out with {@link #keep} may outlive it.
     */
    public static MemoryWorkspace openScratch() {
        return Nd4j.getWorkspaceManager().getAndActivateWorkspace(CONFIG, SCRATCH_ID);
    }

    /** Whether a workspace is open on this thread (a step's), so that {@link #openScratch} saves memory. */
    public static boolean inWorkspace() {
        return Nd4j.getMemoryManager().getCurrentWorkspace() != null;
    }

    /**
     * Whether a forward pass run now is a training step's, whose backward pass follows: a
     * workspace is open on this thread and it is not {@link #openForwardOnly}'s.
     */
    public static boolean backwardFollows() {
        MemoryWorkspace current = Nd4j.getMemoryManager().getCurrentWorkspace();
        return current != null && !FORWARD_ONLY_ID.equals(current.getId());
    }

    /** {@code a}, moved from the innermost open workspace to the one around it (or out of all). */
    public static INDArray keep(INDArray a) {
        return a.leverage();
    }

    public static INDArray outside(Supplier<INDArray> allocation) {
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            return allocation.get();
        }
    }
}
