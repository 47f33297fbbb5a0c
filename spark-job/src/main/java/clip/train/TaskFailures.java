package clip.train;

import org.apache.spark.ExceptionFailure;
import org.apache.spark.ExecutorLostFailure;
import org.apache.spark.SparkContext;
import org.apache.spark.TaskEndReason;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * The first real failure of a training attempt, as the failing task reported it. Spark's job
 * failure for a barrier stage says only "barrier task ResultTask(0, 1) finished unsuccessfully"
 * and drops the task's exception; the listener bus still carries it, so the driver can print the
 * cause and decide whether a restart can help.
 */
final class TaskFailures extends SparkListener {
    /** Why a worker failed, and whether running it again can change the outcome. */
    record Failure(String message, boolean retryable) {
    }

    private Failure first;

    /** Forgets the previous attempt's failure. */
    synchronized void reset() {
        first = null;
    }

    @Override
    public synchronized void onTaskEnd(SparkListenerTaskEnd end) {
        if (first != null) {
            return;
        }
        TaskEndReason reason = end.reason();
        if (reason instanceof ExceptionFailure failure) {
            first = classify(failure.className(), failure.description());
        } else if (reason instanceof ExecutorLostFailure lost) {
            first = new Failure("executor " + lost.execId() + " was lost (" + lost.toErrorString().lines().findFirst().orElse("") + ")",
                    true);
        }
    }

    /** The failure of the attempt that just ended, once the listener bus has delivered it (or null). */
    Failure await(SparkContext sc) {
        try {
            // Spark posts the task's end before it fails the job, but delivers it on another thread.
            sc.listenerBus().waitUntilEmpty(10_000);
        } catch (java.util.concurrent.TimeoutException | LinkageError e) {
            // a busy or different bus: report what arrived
        }
        synchronized (this) {
            return first;
        }
    }

    /**
     * Input and configuration errors, a full disk or a port already taken fail the same way on
     * every attempt; a lost executor, a dropped connection or a missed deadline may not.
     */
    static Failure classify(String className, String description) {
        String message = String.valueOf(description).lines().findFirst().orElse("").strip();
        String worker = message.replaceFirst("^worker \\d+: ", "");
        boolean permanent = className.endsWith("BadInputException")
                || message.contains("No space left on device") || message.contains("Disk quota exceeded")
                || (message.contains("cannot listen on") && message.contains("Address already in use"));
        return new Failure(message.isEmpty() ? className : message, !permanent && !worker.startsWith("config key "));
    }
}
