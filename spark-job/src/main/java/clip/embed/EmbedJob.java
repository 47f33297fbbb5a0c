package clip.embed;

import clip.prep.AtomicFiles;
import clip.prep.ShardLayout;
import clip.prep.ShardReader;
import clip.io.BadInputException;
import clip.spark.ItemTasks;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.SerializableConfiguration;

/**
 * A data-prep split embedded into an index, as a Spark job: the driver hashes the model and plans
 * the parts; one task per part loads the model, embeds the part's images and captions and commits
 * its files; the driver writes the manifest once every part is committed (and removes an earlier
 * one first, so an index is never searched while its parts change). Parts committed by an earlier
 * run with the same model, data and settings are kept; files of any other plan are removed.
 */
public final class EmbedJob {
    private final EmbedConfig given;
    private final SparkSession spark;
    private final PrintStream log;

    /** The manifest written, and the summaries of the parts this run embedded (not those it kept). */
    public record Result(IndexManifest manifest, List<PartSummary> written, double seconds) {
    }

    public EmbedJob(EmbedConfig config, SparkSession spark, PrintStream log) {
        this.given = config;
        this.spark = spark;
        this.log = log;
    }

    public Result run() throws IOException {
        long start = System.nanoTime();
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        EmbedConfig config = given.qualified(conf);
        ModelFolder model = ModelFolder.read(config.model(), conf);
        Path dataRoot = new Path(config.data());
        JsonNode prep = ShardReader.manifest(dataRoot, conf);
        List<IndexPart> parts = IndexPart.plan(prep, dataRoot, config.split(), config.rowsPerPart(), conf);
        ShardLayout layout = new ShardLayout(new Path(config.out()));
        FileSystem fs = layout.out().getFileSystem(conf);
        refuseAnythingButAnIndex(fs, layout);
        Set<String> planned = new HashSet<>();
        for (IndexPart p : parts) {
            config.sides().forEach(side -> planned.add(p.file(side)));
        }
        // The manifest is what makes an index searchable: none while parts may be changing. An
        // approximate index is built from the embeddings, so it goes with them.
        fs.delete(layout.manifest(), false);
        for (Side side : Side.values()) {
            AnnIndexBuilder.remove(fs, layout.out(), side);
        }
        fs.delete(AnnManifest.root(layout.out()), true);
        layout.removeUnplanned(fs, planned, rel -> log.println("embed: removing " + rel + " (not part of this run's plan)"));
        List<IndexPart> todo = new ArrayList<>();
        for (IndexPart p : parts) {
            if (committed(fs, layout, config, model, p) == null) {
                todo.add(p);
            }
        }
        log.printf("embed: %s of %s with %s: %d images, %d captions in %d parts; %d already embedded by an earlier run%n",
                config.split(), config.data(), model.location(), parts.stream().mapToLong(IndexPart::rows).sum(),
                parts.stream().mapToLong(IndexPart::captions).sum(), parts.size(), parts.size() - todo.size());
        SerializableConfiguration taskConf = new SerializableConfiguration(conf);
        long[] work = todo.stream().mapToLong(p -> embeddings(config, p)).toArray();
        ItemTasks.run(spark, new ItemTasks.Labels("embed", "parts", "embeddings"), "clip embed: " + todo.size() + " parts to "
                + config.out(), todo, work, log, part -> new PartWriter(config, model, taskConf.value()).write(part));

        List<PartSummary> summaries = new ArrayList<>();
        for (IndexPart p : parts) {
            PartSummary s = committed(fs, layout, config, model, p);
            if (s == null) {
                throw new IOException("part " + p.name() + " was reported written but is not committed under " + layout.out());
            }
            summaries.add(s);
        }
        IndexManifest manifest = new IndexManifest(config, model, prep.path("source"), parts, summaries);
        manifest.checkBooks(prep.path("counts").path("splits").path(config.split()));
        AtomicFiles.writeJson(fs, new Path(layout.tmpDir(), "manifest.json"), layout.manifest(), manifest.toJson());
        fs.delete(layout.tmpDir(), true);
        Set<String> redone = new HashSet<>();
        todo.forEach(p -> redone.add(p.name()));
        List<PartSummary> written = summaries.stream().filter(s -> redone.contains(s.name())).toList();
        return new Result(manifest, written, (System.nanoTime() - start) / 1e9);
    }

    /**
     * A rerun removes what is not in its plan, so {@code --out} must be an index or a new folder:
     * never the data, a prep output or any other folder with files of its own.
     */
    private static void refuseAnythingButAnIndex(FileSystem fs, ShardLayout layout) throws IOException {
        if (!fs.exists(layout.out())) {
            return;
        }
        Set<String> ours = Set.of(Side.IMAGES.key(), Side.TEXTS.key(), "_progress", "_tmp", "manifest.json",
                AnnManifest.root(layout.out()).getName());
        for (FileStatus f : fs.listStatus(layout.out())) {
            String name = f.getPath().getName();
            if (!ours.contains(name) && !name.startsWith(".")) {
                throw new BadInputException(layout.out() + " is not an embedding index (it has " + name
                        + "): give --out a new folder or an index");
            }
        }
        JsonNode old = AtomicFiles.readJsonOrNull(fs, layout.manifest(), JsonNode.class);
        if (fs.exists(layout.manifest()) && (old == null || !old.has("index_version"))) {
            throw new BadInputException(layout.manifest() + " is not an embedding index's manifest: give --out a new folder or an index");
        }
    }

    private static long embeddings(EmbedConfig config, IndexPart part) {
        return (config.sides().contains(Side.IMAGES) ? part.rows() : 0) + (config.sides().contains(Side.TEXTS) ? part.captions() : 0);
    }

    /** The summary of a part committed with this model and config, or null if it must be (re)embedded. */
    private static PartSummary committed(FileSystem fs, ShardLayout layout, EmbedConfig config, ModelFolder model, IndexPart part)
            throws IOException {
        PartSummary s = AtomicFiles.readJsonOrNull(fs, layout.summary(part.name()), PartSummary.class);
        if (s == null || !s.fingerprint().equals(PartWriter.fingerprint(config, model, part))) {
            return null;
        }
        for (PartSummary.PartFile f : s.files()) {
            Path file = new Path(layout.out(), f.path());
            if (!fs.exists(file) || fs.getFileStatus(file).getLen() != f.bytes()) {
                return null;
            }
        }
        return s;
    }
}
