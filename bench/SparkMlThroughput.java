import clip.prep.ShardReader;
import clip.sparkml.ClipEmbedder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Images and captions per second of the ClipEmbedder stage in one Spark task (local[1]), on the
 * rows of a prep output that bin/clip embed reads, for the per-task rates bin/clip embed prints.
 * The rows are cached first and the model loaded by a warm-up (embed's per-task time excludes
 * reading the shard and loading the model too); each timed action writes the embeddings to
 * Parquet, as embed does. Three passes of each side; prints each.
 *
 * <p>Run (bench/sparkml_bench.sh does): {@code java -cp <app jar>:<classpath> bench/SparkMlThroughput.java MODEL SHARDS}
 */
public class SparkMlThroughput {
    public static void main(String[] args) throws Exception {
        String model = args[0];
        org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path(args[1]);
        SparkSession spark = SparkSession.builder().master("local[1]").appName("sparkml-bench")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1").getOrCreate();
        String[] shards = ShardReader.shardsOf(ShardReader.manifest(root, new Configuration()), root, "val").stream()
                .map(Object::toString).toArray(String[]::new);
        Dataset<Row> images = spark.read().parquet(shards).select("image_id", "jpeg").coalesce(1).cache();
        Dataset<Row> captions = spark.read().parquet(shards).selectExpr("image_id", "posexplode(captions) AS (caption_index, caption)")
                .coalesce(1).cache();
        long imageCount = images.count();
        long captionCount = captions.count();
        Path out = Files.createTempDirectory("sparkml-bench");
        ClipEmbedder imageStage = new ClipEmbedder().setModelPath(model).setInputCol("jpeg").setBatchSize(64);
        ClipEmbedder textStage = new ClipEmbedder().setModelPath(model).setInputCol("caption").setBatchSize(64);
        imageStage.transform(images.limit(128)).write().mode("overwrite").parquet(out.resolve("warm").toString());
        textStage.transform(captions.limit(128)).write().mode("overwrite").parquet(out.resolve("warm").toString());
        for (int pass = 1; pass <= 3; pass++) {
            double imageSeconds = time(imageStage.transform(images).drop("jpeg"), out.resolve("images"));
            double textSeconds = time(textStage.transform(captions), out.resolve("texts"));
            System.out.printf("sparkml pass %d, one task: %.1f images/s (%d), %.1f captions/s (%d)%n", pass, imageCount / imageSeconds,
                    imageCount, captionCount / textSeconds, captionCount);
        }
        spark.stop();
    }

    private static double time(Dataset<Row> embedded, Path out) {
        long start = System.nanoTime();
        embedded.write().mode("overwrite").parquet(out.toString());
        return (System.nanoTime() - start) / 1e9;
    }
}
