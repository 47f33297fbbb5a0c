package clip.testutil;

import clip.layers.StepMemory;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.nd4j.linalg.factory.Nd4j;

/** Which of the step workspaces a piece of work opened: ND4J keeps them per thread, so it runs on a fresh one. */
public final class ThreadWorkspaces {
    private ThreadWorkspaces() {
    }

    /** The ids of {@link StepMemory}'s step and forward-only workspaces that exist on a fresh thread after {@code work}. */
    public static Set<String> openedBy(Callable<?> work) throws InterruptedException, ExecutionException {
        ExecutorService thread = Executors.newSingleThreadExecutor();
        try {
            return thread.submit(() -> {
                work.call();
                Set<String> opened = new TreeSet<>();
                for (String id : new String[] {StepMemory.STEP_ID, StepMemory.FORWARD_ONLY_ID}) {
                    if (Nd4j.getWorkspaceManager().checkIfWorkspaceExists(id)) {
                        opened.add(id);
                    }
                }
                Nd4j.getWorkspaceManager().destroyAllWorkspacesForCurrentThread();
                return opened;
            }).get();
        } finally {
            thread.shutdown();
        }
    }
}
