package clip.prep;

import clip.io.WriteFailure;
import clip.prep.source.Fault;
import clip.prep.source.ImageEntry;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSError;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;

/**
 * Writes one planned shard and commits it: rows go to a file under {@code _tmp/}, then the
 * shard's summary is committed, then the shard is renamed into place. A shard counts as done
 * only when both exist, so a run killed at any point leaves nothing a reader or a rerun would
 * mistake for a finished shard.
 */
public final class ShardWriter {
    private final PrepConfig config;
    private final Configuration conf;
    private final ShardLayout layout;

    public ShardWriter(PrepConfig config, Configuration conf) {
        this.config = config;
        this.conf = conf;
        this.layout = new ShardLayout(new Path(config.out()));
    }

    public ShardSummary write(ShardPlan plan) throws IOException {
        FileSystem out = layout.out().getFileSystem(conf);
        Path tmp = new Path(layout.tmpDir(), plan.split() + "-" + plan.index() + "-" + UUID.randomUUID() + ".parquet");
        DigestingOutputFile file = new DigestingOutputFile(out, tmp);
        ImageConverter converter = new ImageConverter(config.imageSize(), config.jpegQuality());
        ShardSchema schema = new ShardSchema();
        List<Fault> faults = new ArrayList<>();
        int rows = 0;
        int captions = 0;
        int imagesRejected = 0;
        int captionsRejected = 0;
        // Hadoop's local file system reports a full disk as an FSError that names no file: name it.
        try (ParquetWriter<Group> writer = ExampleParquetWriter.builder(file)
                .withConf(conf)
                .withType(ShardSchema.SCHEMA)
                // JPEG bytes do not compress; the captions are a rounding error next to them.
                .withCompressionCodec(CompressionCodecName.UNCOMPRESSED)
                .build()) {
            for (ImageEntry entry : plan.images()) {
                ImageConverter.Result result = converter.convert(entry, read(new Path(config.root(), entry.relativePath())));
                if (config.strict() && !result.faults().isEmpty()) {
                    throw new StrictModeStop(result.faults().get(0));
                }
                faults.addAll(result.faults());
                if (result.row() == null) {
                    imagesRejected++;
                    captionsRejected += entry.captions().size();
                } else {
                    writer.write(schema.toGroup(result.row()));
                    rows++;
                    captions += result.row().captions().size();
                }
            }
        } catch (FSError e) {
            throw WriteFailure.naming(tmp, e);
        }
        ShardSummary summary = new ShardSummary(plan.name(), plan.split(), rows, captions, file.length(), file.sha256(),
                config.fingerprint() + "|" + plan.digest(), imagesRejected, captionsRejected, faults);
        commit(out, tmp, plan, summary);
        return summary;
    }

    private void commit(FileSystem fs, Path tmp, ShardPlan plan, ShardSummary summary) throws IOException {
        AtomicFiles.writeJson(fs, new Path(layout.tmpDir(), tmp.getName() + ".json"), layout.summary(plan), summary);
        AtomicFiles.replace(fs, tmp, layout.shard(plan));
    }

    private byte[] read(Path path) throws IOException {
        FileSystem fs = path.getFileSystem(conf);
        try (InputStream in = fs.open(path)) {
            return in.readAllBytes();
        } catch (FileNotFoundException e) {
            return null;
        }
    }
}
