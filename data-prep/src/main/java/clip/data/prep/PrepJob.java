package clip.data.prep;

import clip.data.source.CocoCaptions;
import clip.data.source.DatasetListing;
import clip.data.source.Flickr30kCaptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.SerializableConfiguration;

/**
 * A dataset as published into training shards, as a Spark job: the driver reads the annotations
 * and plans the shards; one task per shard decodes, resizes and writes its images; the driver
 * writes the manifest once every shard is committed. Shards finished by an earlier run with the
 * same config are kept, not redone; shards of a different plan are removed, never mixed in.
 */
public final class PrepJob {
    private final PrepConfig config;
    private final SparkSession spark;
    private final PrintStream log;

    public PrepJob(PrepConfig config, SparkSession spark, PrintStream log) {
        this.config = config;
        this.spark = spark;
        this.log = log;
    }

    public Manifest run() throws IOException {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        DatasetListing listing = config.format().equals("coco")
                ? CocoCaptions.read(config.root(), config.splits(), conf)
                : Flickr30kCaptions.read(config.root(), config.splits(), conf);
        log.printf("prep: %s at %s: %d images, %d captions listed, %d annotation faults%n", config.format(), config.root(),
                listing.imagesIn(), listing.captionsIn(), listing.faults().size());
        if (config.strict() && !listing.faults().isEmpty()) {
            throw new StrictModeStop(listing.faults().get(0));
        }
        List<ShardPlan> plans = ShardPlan.of(listing.images(), config.imagesPerShard());
        ShardLayout layout = new ShardLayout(new Path(config.out()));
        FileSystem fs = layout.out().getFileSystem(conf);
        removeForeignFiles(fs, layout, plans);
        List<ShardPlan> todo = new ArrayList<>();
        for (ShardPlan plan : plans) {
            if (committed(fs, layout, plan) == null) {
                todo.add(plan);
            }
        }
        log.printf("prep: %d shards of up to %d images; %d already written by an earlier run%n", plans.size(),
                config.imagesPerShard(), plans.size() - todo.size());
        if (!todo.isEmpty()) {
            writeShards(todo, conf);
        }
        List<ShardSummary> summaries = new ArrayList<>();
        for (ShardPlan plan : plans) {
            ShardSummary s = committed(fs, layout, plan);
            if (s == null) {
                throw new IOException("shard " + plan.name() + " was reported written but is not committed under " + layout.out());
            }
            summaries.add(s);
        }
        Manifest manifest = new Manifest(config, listing, summaries);
        manifest.checkBooks();
        Path tmp = new Path(layout.tmpDir(), "manifest.json");
        try (OutputStream o = fs.create(tmp, true)) {
            ShardWriter.JSON.writerWithDefaultPrettyPrinter().writeValue(o, manifest.toJson());
        }
        ShardWriter.replace(fs, tmp, layout.manifest());
        fs.delete(layout.tmpDir(), true);
        return manifest;
    }

    private void writeShards(List<ShardPlan> todo, Configuration conf) throws IOException {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        SerializableConfiguration taskConf = new SerializableConfiguration(conf);
        PrepConfig cfg = config;
        PrepProgress progress = new PrepProgress(todo, log);
        spark.sparkContext().addSparkListener(progress);
        sc.setJobDescription("clip prep: " + todo.size() + " shards to " + config.out());
        try {
            sc.parallelize(todo, todo.size()).foreach(plan -> new ShardWriter(cfg, taskConf.value()).write(plan));
        } catch (Exception e) {
            // Scala throws SparkException (checked) without declaring it.
            awaitOtherShards(progress);
            throw unwrap(e);
        } finally {
            spark.sparkContext().removeSparkListener(progress);
        }
    }

    /** Spark fails the job at the first failed shard while other shards may still be writing. */
    private void awaitOtherShards(PrepProgress progress) {
        try {
            if (!progress.awaitQuiet(TimeUnit.MINUTES.toMillis(10))) {
                log.println("prep: some shard tasks were still running 10 minutes after the job failed");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A strict-mode stop inside a task reaches the driver wrapped in Spark's job failure; users want the fault itself. */
    private static RuntimeException unwrap(Exception e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof StrictModeStop stop) {
                return stop;
            }
        }
        return e instanceof RuntimeException r ? r
                : new IllegalStateException("prep job failed: " + e.getMessage().lines().findFirst().orElse(""), e);
    }

    /** The summary of a shard committed with this config, or null if it must be (re)written. */
    private ShardSummary committed(FileSystem fs, ShardLayout layout, ShardPlan plan) throws IOException {
        Path summaryPath = layout.summary(plan);
        Path shard = layout.shard(plan);
        if (!fs.exists(summaryPath) || !fs.exists(shard)) {
            return null;
        }
        ShardSummary s;
        try (InputStream in = fs.open(summaryPath)) {
            s = ShardWriter.JSON.readValue(in, ShardSummary.class);
        } catch (IOException e) {
            return null;
        }
        boolean same = s.fingerprint().equals(config.fingerprint() + "|" + plan.digest())
                && fs.getFileStatus(shard).getLen() == s.bytes();
        return same ? s : null;
    }

    /**
     * Deletes shards no longer in the plan (an earlier run with other settings) and leftovers of
     * killed runs, so the output folder never holds the same image twice.
     */
    private void removeForeignFiles(FileSystem fs, ShardLayout layout, List<ShardPlan> plans) throws IOException {
        if (!fs.exists(layout.out())) {
            return;
        }
        Set<String> planned = new HashSet<>();
        plans.forEach(p -> planned.add(p.name()));
        fs.delete(layout.tmpDir(), true);
        for (FileStatus dir : fs.listStatus(layout.out())) {
            String name = dir.getPath().getName();
            if (!dir.isDirectory() || name.startsWith("_")) {
                continue;
            }
            for (FileStatus f : fs.listStatus(dir.getPath())) {
                String rel = name + "/" + f.getPath().getName();
                if (rel.endsWith(".parquet") && !planned.contains(rel)) {
                    log.println("prep: removing " + rel + " (not part of this run's plan)");
                    fs.delete(f.getPath(), false);
                }
            }
        }
    }
}
