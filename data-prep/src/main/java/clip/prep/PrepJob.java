package clip.prep;

import clip.prep.source.CocoCaptions;
import clip.prep.source.DatasetListing;
import clip.prep.source.Flickr30kCaptions;
import clip.prep.source.ImageFolder;
import clip.spark.ItemTasks;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.SerializableConfiguration;

/**
 * A dataset as published into training shards, as a Spark job: the driver reads the annotations,
 * plans the shards and writes each plan to a file; one task per shard reads its plan, decodes,
 * resizes and writes its images; the driver writes the manifest once every shard is committed. Shards finished by an earlier run with the
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
        DatasetListing listing = switch (config.format()) {
            case "coco" -> CocoCaptions.read(config.root(), config.splits(), conf);
            case ImageFolder.FORMAT -> ImageFolder.read(config.root(), config.splits(), config.folder(), conf);
            default -> Flickr30kCaptions.read(config.root(), config.splits(), conf);
        };
        log.printf("prep: %s at %s: %d images, %d captions listed, %d annotation faults%n", config.format(), config.root(),
                listing.imagesIn(), listing.captionsIn(), listing.faults().size());
        if (config.strict() && !listing.faults().isEmpty()) {
            throw new StrictModeStop(listing.faults().get(0));
        }
        List<ShardPlan> plans = ShardPlan.of(listing.images(), config.imagesPerShard());
        ShardLayout layout = new ShardLayout(new Path(config.out()));
        FileSystem fs = layout.out().getFileSystem(conf);
        Set<String> planned = new HashSet<>();
        plans.forEach(p -> planned.add(p.name()));
        layout.removeUnplanned(fs, planned, rel -> log.println("prep: removing " + rel + " (not part of this run's plan)"));
        List<ShardPlan> todo = new ArrayList<>();
        for (ShardPlan plan : plans) {
            if (committed(fs, layout, plan) == null) {
                todo.add(plan);
            }
        }
        log.printf("prep: %d shards of up to %d images; %d already written by an earlier run%n", plans.size(),
                config.imagesPerShard(), plans.size() - todo.size());
        if (!todo.isEmpty()) {
            writeShards(todo, fs, layout, conf);
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
        AtomicFiles.writeJson(fs, new Path(layout.tmpDir(), "manifest.json"), layout.manifest(), manifest.toJson());
        fs.delete(layout.tmpDir(), true);
        return manifest;
    }

    private void writeShards(List<ShardPlan> todo, FileSystem fs, ShardLayout layout, Configuration conf) throws IOException {
        List<String> planFiles = PlanFiles.write(fs, layout, todo);
        SerializableConfiguration taskConf = new SerializableConfiguration(conf);
        PrepConfig cfg = config;
        ItemTasks.run(spark, new ItemTasks.Labels("prep", "shards", "images"), "clip prep: " + todo.size() + " shards to " + config.out(),
                planFiles, todo.stream().mapToLong(p -> p.images().size()).toArray(), log,
                file -> new ShardWriter(cfg, taskConf.value()).write(PlanFiles.read(file, taskConf.value())));
    }

    /** The summary of a shard committed with this config, or null if it must be (re)written. */
    private ShardSummary committed(FileSystem fs, ShardLayout layout, ShardPlan plan) throws IOException {
        Path shard = layout.shard(plan);
        ShardSummary s = AtomicFiles.readJsonOrNull(fs, layout.summary(plan), ShardSummary.class);
        if (s == null || !fs.exists(shard)) {
            return null;
        }
        boolean same = s.fingerprint().equals(config.fingerprint() + "|" + plan.digest())
                && fs.getFileStatus(shard).getLen() == s.bytes();
        return same ? s : null;
    }
}
