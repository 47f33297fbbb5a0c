package clip.data.prep;

import org.apache.hadoop.fs.Path;

/**
 * Where things live under the output folder: {@code <split>/part-NNNNN.parquet} (what readers
 * see), {@code _progress/} (one summary per committed shard), {@code _tmp/} (shards being
 * written) and {@code manifest.json}. Spark and Parquet readers skip names starting with an
 * underscore, so a reader of the output never sees a half-written shard.
 */
public record ShardLayout(Path out) {
    public Path shard(ShardPlan plan) {
        return new Path(out, plan.name());
    }

    public Path summary(ShardPlan plan) {
        return new Path(progressDir(), plan.name().replace(".parquet", ".json"));
    }

    public Path progressDir() {
        return new Path(out, "_progress");
    }

    public Path tmpDir() {
        return new Path(out, "_tmp");
    }

    public Path manifest() {
        return new Path(out, "manifest.json");
    }
}
