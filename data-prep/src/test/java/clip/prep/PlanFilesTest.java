package clip.prep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.prep.source.CocoCaptions;
import clip.prep.source.DatasetListing;
import clip.spark.SparkSessions;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlanFilesTest {
    @TempDir
    Path tmp;

    @Test
    void aPlanReadBackIsThePlanWritten() throws Exception {
        CocoFixture coco = new CocoFixture(tmp.resolve("coco"), 7, 3);
        Configuration conf = new Configuration();
        DatasetListing listing = CocoCaptions.read(coco.root.toString(), List.of(), conf);
        List<ShardPlan> plans = ShardPlan.of(listing.images(), 4);
        ShardLayout layout = new ShardLayout(new org.apache.hadoop.fs.Path(tmp.resolve("out").toString()));
        List<String> files = PlanFiles.write(FileSystem.getLocal(conf), layout, plans);
        assertEquals(plans.size(), files.size());
        for (int i = 0; i < plans.size(); i++) {
            ShardPlan back = PlanFiles.read(files.get(i), conf);
            assertEquals(plans.get(i), back);
            assertEquals(plans.get(i).digest(), back.digest());
        }
    }

    /**
     * A shard of 4,000 images with five captions each: its task must carry the plan's path, not
     * the plan (inside the task it was about 1.5 MB, and Spark warned of a task of very large size).
     * The images are missing, so the shard writes no row and the test stays fast.
     */
    @Test
    void aShardsTaskCarriesItsPlansPathNotItsAnnotations() throws Exception {
        Path root = tmp.resolve("coco");
        ObjectNode json = CocoFixture.JSON.createObjectNode();
        ArrayNode images = json.putArray("images");
        ArrayNode annotations = json.putArray("annotations");
        int count = 4000;
        for (int i = 1; i <= count; i++) {
            images.addObject().put("id", i).put("file_name", String.format("%012d.jpg", i)).put("width", 640).put("height", 480);
            for (int c = 0; c < 5; c++) {
                annotations.addObject().put("id", i * 10L + c).put("image_id", i)
                        .put("caption", "caption " + c + " of image " + i + ": a man riding a wave on top of a surfboard");
            }
        }
        Files.createDirectories(root.resolve("annotations"));
        CocoFixture.JSON.writeValue(root.resolve("annotations/captions_train2017.json").toFile(), json);

        List<String> warnings = new CopyOnWriteArrayList<>();
        LoggerContext logs = (LoggerContext) LogManager.getContext(false);
        AbstractAppender capture = new AbstractAppender("capture-" + System.nanoTime(), null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                warnings.add(event.getMessage().getFormattedMessage());
            }
        };
        capture.start();
        logs.getConfiguration().getRootLogger().addAppender(capture, Level.WARN, null);
        logs.updateLoggers();
        SparkSession spark = SparkSessions.getOrCreate("plan-files-test", "local[2]");
        try {
            PrepConfig config = new PrepConfig("coco", root.toString(), tmp.resolve("shards").toString(), List.of(), 32, 90, count, false);
            Manifest m = new PrepJob(config, spark, new PrintStream(new ByteArrayOutputStream())).run();
            assertEquals(count, m.imagesRejected(), "every image is missing");
        } finally {
            logs.getConfiguration().getRootLogger().removeAppender(capture.getName());
            logs.updateLoggers();
            capture.stop();
            spark.stop();
        }
        assertTrue(warnings.stream().noneMatch(w -> w.contains("very large size")), String.join("\n", warnings));
        assertTrue(Files.notExists(tmp.resolve("shards/_tmp")), "the plan files are removed with _tmp/");
    }
}
