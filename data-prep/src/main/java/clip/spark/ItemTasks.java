package clip.spark;

import clip.io.BadInputException;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkException;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.VoidFunction;
import org.apache.spark.sql.SparkSession;

/**
 * A Spark job of one task per item (a shard to write, a part to embed) with a progress line as
 * each task finishes. When a task fails, Spark fails the job at once while the other tasks may
 * still be writing: the driver waits for them to stop, so no writer outlives the call. A user's
 * error raised inside a task (a {@link BadInputException}) comes out as itself rather than
 * wrapped in Spark's job failure, so the command line can print its one line.
 */
public final class ItemTasks {
    private ItemTasks() {
    }

    /**
     * What the progress lines call things: {@code <job>: 3/10 <taskNoun>, 300/1000 <unit>, ...}.
     *
     * @param job      the line's prefix and the job's name (prep, embed)
     * @param taskNoun what a task handles, plural (shards, parts)
     * @param unit     what the rate counts, plural (images, embeddings)
     */
    public record Labels(String job, String taskNoun, String unit) {
    }

    /**
     * @param unitsOfItem the work of each item, in {@code labels.unit()}, for the rate and the ETA
     * @param task        what a task does with its item; runs on an executor, so it must be serializable
     */
    public static <T> void run(SparkSession spark, Labels labels, String description, List<T> items, long[] unitsOfItem,
                               PrintStream log, VoidFunction<T> task) {
        if (items.isEmpty()) {
            return;
        }
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        TaskProgress progress = new TaskProgress(labels.job(), labels.taskNoun(), labels.unit(), unitsOfItem, log);
        spark.sparkContext().addSparkListener(progress);
        sc.setJobDescription(description);
        try {
            // As many slices as items: slice i holds item i, which is what the progress listener counts on.
            sc.parallelize(items, items.size()).foreach(task);
            // The listener bus delivers the last tasks' ends after the job returns: wait for them, or
            // the last progress lines are lost (the listener is removed below).
            awaitOtherTasks(progress, labels.job(), log);
        } catch (Exception e) {
            // Scala throws SparkException (checked) without declaring it.
            awaitOtherTasks(progress, labels.job(), log);
            throw unwrap(e, labels.job());
        } finally {
            spark.sparkContext().removeSparkListener(progress);
        }
    }

    private static void awaitOtherTasks(TaskProgress progress, String job, PrintStream log) {
        try {
            if (!progress.awaitQuiet(TimeUnit.MINUTES.toMillis(10))) {
                log.println(job + ": some tasks were still running 10 minutes after the job ended");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static RuntimeException unwrap(Exception e, String job) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BadInputException bad) {
                return bad;
            }
        }
        // Spark's job failure ("Job aborted due to stage failure: ... most recent failure: ...") wraps the
        // task's own exception, whose message says what went wrong (a full disk names the file).
        Throwable task = e;
        while (task instanceof SparkException && task.getCause() != null) {
            task = task.getCause();
        }
        return e instanceof RuntimeException r ? r
                : new IllegalStateException(job + " job failed: " + String.valueOf(task.getMessage()).lines().findFirst().orElse(""), e);
    }
}
