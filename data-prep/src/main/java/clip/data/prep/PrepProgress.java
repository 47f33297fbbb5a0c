package clip.data.prep;

import java.io.PrintStream;
import java.util.List;
import org.apache.spark.Success$;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;

/**
 * Prints a line as each shard finishes: shards and images done, images per second and the time
 * left. Task i of the job writes shard i of {@code todo}, which is how a finished task is
 * turned into a count of images. It also counts running tasks: when one shard fails, Spark
 * reports the job failed while the other shards' tasks are still writing, and the driver must not
 * return (and let a caller delete or reuse the output folder) until they have stopped.
 */
final class PrepProgress extends SparkListener {
    private final List<ShardPlan> todo;
    private final long totalImages;
    private final PrintStream out;
    private final long start = System.nanoTime();
    private int shardsDone;
    private long imagesDone;
    private int running;
    private boolean jobEnded;

    PrepProgress(List<ShardPlan> todo, PrintStream out) {
        this.todo = todo;
        this.totalImages = todo.stream().mapToLong(p -> p.images().size()).sum();
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
        int index = end.taskInfo().index();
        shardsDone++;
        imagesDone += todo.get(index).images().size();
        double seconds = (System.nanoTime() - start) / 1e9;
        double rate = imagesDone / Math.max(seconds, 1e-3);
        long eta = Math.round((totalImages - imagesDone) / Math.max(rate, 1e-9));
        out.printf("prep: %d/%d shards, %d/%d images, %.1f images/s, ETA %dm%02ds%n", shardsDone, todo.size(), imagesDone,
                totalImages, rate, eta / 60, eta % 60);
    }
}
