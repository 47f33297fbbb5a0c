package clip.embed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.cli.Cli;
import clip.cli.IndexCommand;
import clip.cli.SearchCommand;
import clip.cli.TestData;
import clip.spark.SparkSessions;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Model, shards and index all on an in-process HDFS, as on a cluster: the tasks copy the model
 * folder to local disk to load it, and the index they write is the same, byte for byte, as the
 * one written from and to local folders. The approximate index built beside the index on HDFS is
 * searched through a local copy, with the local one's results.
 */
class EmbedOnHdfsTest {
    @TempDir
    Path tmp;

    private static JsonNode json(FileSystem fs, String file) throws Exception {
        try (InputStream in = fs.open(new org.apache.hadoop.fs.Path(file))) {
            return new ObjectMapper().readTree(in);
        }
    }

    private static String search(String model, String index) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(0, new Cli().register(new SearchCommand(), "json", "exact").run(new String[] {"search", "--model", model, "--index", index,
                "a red circle", "--json"}, new PrintStream(out, true, StandardCharsets.UTF_8), System.err));
        return out.toString(StandardCharsets.UTF_8).replace(index, "INDEX");
    }

    @Test
    void embedsFromAndToHdfsTheSameBytesAsLocally() throws Exception {
        Path model = TestData.dualEncoder(tmp.resolve("model"));
        Path shards = tmp.resolve("shards");
        TestData.cocoAndShards(tmp.resolve("coco"), shards, 6);
        MiniDFSCluster hdfs = new MiniDFSCluster.Builder(new Configuration(), tmp.resolve("hdfs").toFile()).numDataNodes(1).build();
        SparkSession spark = SparkSessions.getOrCreate("embed-hdfs-test", "local[2]");
        try {
            hdfs.waitActive();
            String uri = hdfs.getURI().toString();
            FileSystem fs = hdfs.getFileSystem();
            fs.copyFromLocalFile(new org.apache.hadoop.fs.Path(model.toUri()), new org.apache.hadoop.fs.Path(uri + "/model"));
            fs.copyFromLocalFile(new org.apache.hadoop.fs.Path(shards.toUri()), new org.apache.hadoop.fs.Path(uri + "/shards"));
            PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
            new EmbedJob(new EmbedConfig(uri + "/model", uri + "/shards", uri + "/index", "val", Side.parse("both"), 4, 4, 64), spark,
                    quiet).run();
            new EmbedJob(new EmbedConfig(model.toString(), shards.toString(), tmp.resolve("index").toString(), "val", Side.parse("both"),
                    4, 4, 64), spark, quiet).run();

            JsonNode remote = json(fs, uri + "/index/manifest.json");
            JsonNode local = new ObjectMapper().readTree(tmp.resolve("index/manifest.json").toFile());
            assertEquals(2, remote.get("parts").size());
            assertEquals(local.get("parts"), remote.get("parts"), "every part's files: same rows, bytes and SHA-256");
            assertEquals(local.at("/model/fingerprint"), remote.at("/model/fingerprint"));
            assertEquals(search(model.toString(), tmp.resolve("index").toString()), search(uri + "/model", uri + "/index"));

            // The approximate index built beside the one on HDFS, read back through a local copy, answers as the local one.
            for (String index : new String[] {uri + "/index", tmp.resolve("index").toString()}) {
                assertEquals(0, new Cli().register(new IndexCommand()).run(new String[] {"index", "--index", index, "--min-rows", "0"},
                        quiet, System.err));
            }
            assertEquals(6, json(fs, uri + "/index/ann/images.json").get("rows").asInt());
            String approximate = search(uri + "/model", uri + "/index");
            assertTrue(approximate.contains("approximate: HNSW"), approximate);
            assertEquals(search(model.toString(), tmp.resolve("index").toString()), approximate);
        } finally {
            spark.stop();
            hdfs.shutdown();
        }
    }
}
