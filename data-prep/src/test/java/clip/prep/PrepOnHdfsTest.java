package clip.prep;

import static org.junit.jupiter.api.Assertions.assertEquals;

import clip.spark.SparkSessions;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole round trip through an in-process HDFS: dataset read from hdfs://, shards and manifest written to hdfs://. */
class PrepOnHdfsTest {
    @TempDir
    Path tmp;

    @Test
    void readsTheDatasetFromHdfsAndWritesShardsThere() throws Exception {
        CocoFixture coco = new CocoFixture(tmp.resolve("coco"), 5, 2);
        Configuration conf = new Configuration();
        MiniDFSCluster hdfs = new MiniDFSCluster.Builder(conf, tmp.resolve("hdfs").toFile()).numDataNodes(1).build();
        SparkSession spark = SparkSessions.getOrCreate("prep-hdfs-test", "local[2]");
        try {
            hdfs.waitActive();
            String uri = hdfs.getURI().toString();
            FileSystem fs = hdfs.getFileSystem();
            fs.copyFromLocalFile(new org.apache.hadoop.fs.Path(coco.root.toUri()), new org.apache.hadoop.fs.Path(uri + "/data/coco"));
            PrepConfig config = new PrepConfig("coco", uri + "/data/coco", uri + "/data/shards", List.of(), 32, 90, 3, false);
            Manifest m = new PrepJob(config, spark, new PrintStream(new ByteArrayOutputStream())).run();
            assertEquals(7, m.imagesWritten());

            JsonNode manifest;
            try (InputStream in = fs.open(new org.apache.hadoop.fs.Path("/data/shards/manifest.json"))) {
                manifest = CocoFixture.JSON.readTree(in);
            }
            assertEquals(35, manifest.at("/counts/captions_written").asInt());
            assertEquals(3, manifest.get("shards").size());
            assertEquals(5, spark.read().parquet(uri + "/data/shards/train").count());
            assertEquals(2, ShardReader.read(new org.apache.hadoop.fs.Path(uri + "/data/shards/val/part-00000.parquet"),
                    spark.sparkContext().hadoopConfiguration()).size());
        } finally {
            spark.stop();
            hdfs.shutdown();
        }
    }
}
