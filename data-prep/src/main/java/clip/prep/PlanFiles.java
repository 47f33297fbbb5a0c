package clip.prep;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Shard plans as files under the output's {@code _tmp/plans/}, so that a Spark task carries only a
 * path and reads its own shard's slice of the annotations. Shipped inside the task, a plan is all of
 * its shard's image entries and captions, serialized on the driver into every task: at COCO's size
 * and 64 px a shard lists about 41,000 images and 205,000 captions (Spark warned of 2.2 MB tasks at
 * 6,000 images).
 */
final class PlanFiles {
    private static final ObjectMapper JSON = new ObjectMapper();

    private PlanFiles() {
    }

    /** Writes each plan to its own file and returns the files' paths, in the plans' order. */
    static List<String> write(FileSystem fs, ShardLayout layout, List<ShardPlan> plans) throws IOException {
        List<String> files = new ArrayList<>();
        for (ShardPlan plan : plans) {
            Path file = new Path(layout.tmpDir(), "plans/" + plan.split() + "-" + plan.index() + ".json");
            try (OutputStream out = fs.create(file, true)) {
                JSON.writeValue(out, plan);
            }
            files.add(file.toString());
        }
        return files;
    }

    static ShardPlan read(String file, Configuration conf) throws IOException {
        Path path = new Path(file);
        try (InputStream in = path.getFileSystem(conf).open(path)) {
            return JSON.readValue(in, ShardPlan.class);
        }
    }
}
