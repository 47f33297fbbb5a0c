package clip.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * The Spark session of a job: under spark-submit, the master and settings it was given;
 * otherwise local mode on every core of this machine, bound to loopback and without the web UI,
 * which is what {@code bin/clip} on a laptop or a CI box wants.
 */
public final class SparkSessions {
    private SparkSessions() {
    }

    /** Whether this JVM was started by spark-submit (which hands the master over as a system property). */
    public static boolean submitted() {
        return new SparkConf(true).contains("spark.master");
    }

    /** @param master a master URL that overrides everything else, or null */
    public static SparkSession getOrCreate(String appName, String master) {
        SparkSession.Builder b = SparkSession.builder().appName(appName);
        boolean submitted = submitted();
        if (master != null) {
            b.master(master);
        } else if (!submitted) {
            b.master("local[*]");
        }
        if (!submitted && (master == null || master.startsWith("local"))) {
            b.config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1");
        }
        return b.getOrCreate();
    }
}
