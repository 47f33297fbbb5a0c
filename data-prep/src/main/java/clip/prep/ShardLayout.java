package clip.prep;

import java.io.IOException;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Where things live under an output folder of Parquet files committed one by one (prep's shards,
 * an embedding index's parts): the files under their names ({@code <split>/part-NNNNN.parquet}),
 * {@code _progress/} (one summary per committed file), {@code _tmp/} (files being written) and
 * {@code manifest.json}. Spark and Parquet readers skip names starting with an underscore, so a
 * reader of the output never sees a half-written file.
 */
public record ShardLayout(Path out) {
    public Path shard(ShardPlan plan) {
        return new Path(out, plan.name());
    }

    public Path summary(ShardPlan plan) {
        return summary(plan.name());
    }

    /** The summary of the file or unit of work called {@code name} (a {@code .parquet} name or a bare one). */
    public Path summary(String name) {
        return new Path(progressDir(), name.replace(".parquet", "") + ".json");
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

    /**
     * Deletes leftovers of killed runs ({@code _tmp/}) and every {@code <dir>/<name>.parquet} not in
     * {@code planned} (files of an earlier run with other settings), so the folder never holds
     * the same row twice.
     *
     * @param planned  names relative to the folder, as {@code val/part-00000.parquet}
     * @param removed  told each removed name
     */
    public void removeUnplanned(FileSystem fs, Set<String> planned, Consumer<String> removed) throws IOException {
        if (!fs.exists(out)) {
            return;
        }
        fs.delete(tmpDir(), true);
        for (FileStatus dir : fs.listStatus(out)) {
            String name = dir.getPath().getName();
            if (!dir.isDirectory() || name.startsWith("_")) {
                continue;
            }
            for (FileStatus f : fs.listStatus(dir.getPath())) {
                String rel = name + "/" + f.getPath().getName();
                if (rel.endsWith(".parquet") && !planned.contains(rel)) {
                    removed.accept(rel);
                    fs.delete(f.getPath(), false);
                }
            }
        }
    }
}
