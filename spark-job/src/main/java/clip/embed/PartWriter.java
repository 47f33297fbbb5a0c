package clip.embed;

import clip.prep.AtomicFiles;
import clip.prep.DigestingOutputFile;
import clip.prep.ShardLayout;
import clip.prep.ShardReader;
import clip.prep.ShardSchema;
import clip.eval.Embedder;
import clip.eval.EncoderModel;
import clip.eval.EvalInputs;
import clip.validation.EvalSet;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Embeds one part and commits it, inside a Spark task: the model is loaded once for the part,
 * each side's rows go to a file under {@code _tmp/}, then the part's summary is committed, then
 * the files are renamed into place. A part counts as done only when its summary and every file
 * it names exist, so a task killed at any point leaves nothing a rerun would keep.
 */
final class PartWriter {
    private final EmbedConfig config;
    private final ModelFolder model;
    private final Configuration conf;
    private final ShardLayout layout;

    PartWriter(EmbedConfig config, ModelFolder model, Configuration conf) {
        this.config = config;
        this.model = model;
        this.conf = conf;
        this.layout = new ShardLayout(new Path(config.out()));
    }

    /** Everything that decides a part's bytes; a committed part with another fingerprint is redone. */
    static String fingerprint(EmbedConfig config, ModelFolder model, IndexPart part) {
        return String.join("|", model.fingerprint(), part.shard(), part.shardSha256(), Long.toString(part.firstRow()),
                Integer.toString(part.rows()), config.sides().toString(), Integer.toString(config.maxTextLength()),
                Integer.toString(EmbeddingFiles.VERSION));
    }

    PartSummary write(IndexPart part) throws IOException {
        EncoderModel encoder = model.load(config.maxTextLength(), "embed", conf);
        Embedder embedder = encoder.embedder(config.batch(), "embed", null);
        Path shard = new Path(config.data(), part.shard());
        ShardReader.verify(shard, -1, part.shardSha256(), conf);
        List<ShardSchema.Row> rows = ShardReader.read(shard, conf, part.firstRow(), part.rows());
        int captions = rows.stream().mapToInt(r -> r.captions().size()).sum();
        if (rows.size() != part.rows() || captions != part.captions()) {
            throw new IOException(shard + " changed while it was being embedded: rows " + part.firstRow() + "+" + part.rows()
                    + " now hold " + rows.size() + " images and " + captions + " captions, not " + part.captions());
        }
        FileSystem fs = layout.out().getFileSystem(conf);
        List<PartSummary.PartFile> files = new ArrayList<>();
        List<Path> tmps = new ArrayList<>();
        // Each side's seconds are its pass's, the JVM's warm-up compilation apart, as
        // bench/torch_embed_forward.py's exclude its warm-up batch.
        embedder.compileFirstFor(Math.max(rows.size(), captions));
        double imageSeconds = 0;
        double textSeconds = 0;
        int dim = 0;
        for (Side side : config.sides()) {
            long start = System.nanoTime();
            INDArray embeddings = side == Side.IMAGES ? embedder.images(pixels(rows, encoder, part))
                    : embedder.texts(rows.stream().flatMap(r -> r.captions().stream()).toList(), "captions");
            dim = (int) embeddings.size(1);
            float[] vectors = new float[(int) embeddings.length()];
            embeddings.castTo(DataType.FLOAT).dup('c').data().asNioFloat().get(vectors);
            Path tmp = new Path(layout.tmpDir(), side.key() + "-" + part.name() + "-" + UUID.randomUUID() + ".parquet");
            DigestingOutputFile file = new DigestingOutputFile(fs, tmp);
            int written = EmbeddingFiles.write(file, conf, side, rows, vectors, dim);
            double seconds = (System.nanoTime() - start) / 1e9;
            if (side == Side.IMAGES) {
                imageSeconds = seconds;
            } else {
                textSeconds = seconds;
            }
            files.add(new PartSummary.PartFile(side.key(), part.file(side), written, file.length(), file.sha256()));
            tmps.add(tmp);
        }
        PartSummary summary = new PartSummary(part.name(), fingerprint(config, model, part), dim, files, imageSeconds, textSeconds);
        AtomicFiles.writeJson(fs, new Path(layout.tmpDir(), part.name() + "-" + UUID.randomUUID() + ".json"),
                layout.summary(part.name()), summary);
        for (int i = 0; i < files.size(); i++) {
            AtomicFiles.replace(fs, tmps.get(i), new Path(layout.out(), files.get(i).path()));
        }
        return summary;
    }

    private static Embedder.PixelSource pixels(List<ShardSchema.Row> rows, EncoderModel encoder, IndexPart part) {
        List<EvalSet.Item> items = rows.stream()
                .map(r -> new EvalSet.Item(r.imageId(), r.fileName(), r.captions(), -1, r::jpeg)).toList();
        return new EvalSet(items, List.of(), part.shard()).inputs(encoder.images()).pixels();
    }
}
