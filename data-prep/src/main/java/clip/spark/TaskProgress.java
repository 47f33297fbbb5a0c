package clip.spark;

import java.io.PrintStream;
import org.apache.spark.Success$;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;

/**
 * Prints a line as each task of a one-task-per-item job finishes: tasks and units of work done
 * (images, embeddings), units per second and the time left. Task i of the job handles item i,
 * which is how a finished task is turned into a count of units. It also counts running tasks:
 * when one task fails, Spark reports the job failed while the other tasks are still writing, and
 * the driver must not return (and let a caller delete or reuse the output folder) until they have
 * stopped.
 */
final class TaskProgress extends SparkListener {
    private final String job;
    private final String taskNoun;
    private final String unit;
    private final long[] unitsOfTask;
    private final long totalUnits;
    private final PrintStream out;
    private final long start = System.nanoTime();
    private int tasksDone;
    private long unitsDone;
    private int running;
    private boolean jobEnded;

    /**
     * @param job         the line's prefix (prep, embed)
     * @param taskNoun    what a task handles, plural (shards, parts)
     * @param unit        what the rate counts, plural (images, embeddings)
     * @param unitsOfTask units of work of each task, by task index
     */
    TaskProgress(String job, String taskNoun, String unit, long[] unitsOfTask, PrintStream out) {
        this.job = job;
        this.taskNoun = taskNoun;
        this.unit = unit;
        this.unitsOfTask = unitsOfTask.clone();
        this.totalUnits = java.util.Arrays.stream(unitsOfTask).sum();
        this.out = out;
    }

    @Override
    public synchronized void onTaskStart(SparkListenerTaskStart start) {
        running++;
    }

    @Override
    public synchronized void onJobEnd(SparkListenerJobEnd end) {
        jobEnded = true;
        notifyAll();
    }

    /**
     * Blocks until the job has ended and none of its tasks is running, or the timeout passes.
     * The listener bus delivers a job's task starts before its end, so once both hold no task of
     * the job can still be writing.
     *
     * @return whether the job went quiet in time
     */
    synchronized boolean awaitQuiet(long timeoutMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (!jobEnded || running > 0) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                return false;
            }
            wait(left);
        }
        return true;
    }

    @Override
    public synchronized void onTaskEnd(SparkListenerTaskEnd end) {
        running--;
        notifyAll();
        if (!(end.reason() instanceof Success$)) {
            return;
        }
        tasksDone++;
        unitsDone += unitsOfTask[end.taskInfo().index()];
        double seconds = (System.nanoTime() - start) / 1e9;
        double rate = unitsDone / Math.max(seconds, 1e-3);
        long eta = Math.round((totalUnits - unitsDone) / Math.max(rate, 1e-9));
        out.printf("%s: %d/%d %s, %d/%d %s, %.1f %s/s, ETA %dm%02ds%n", job, tasksDone, unitsOfTask.length, taskNoun, unitsDone,
                totalUnits, unit, rate, unit, eta / 60, eta % 60);
    }
}
