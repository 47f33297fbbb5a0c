package clip.train;

import clip.data.image.ImageDecodeException;
import clip.prep.ShardReader;
import clip.data.ImagePipeline;
import clip.data.ImagePreprocessor;
import clip.io.BadInputException;
import clip.layers.Halves;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A worker's share of a training split from data-prep shards: worker r of N holds rows
 * {@code [r*T/N, (r+1)*T/N)} of the split's T rows in manifest order, and reads only the shards
 * that overlap them. Rows are kept as their JPEG bytes (what the shards store, ~30 KB an image
 * at 256 px) in a memory-mapped scratch file, not on the heap ({@link MappedBytes}): the heap holds
 * ids, file names and captions. Images are decoded, resized and randomly cropped when a step needs
 * them. Each step a
 * worker draws its pairs from its own share (distinct images, one caption of each), so the
 * global batch is the union of the workers' draws, as with PyTorch's DistributedSampler; with
 * another number of workers the batches differ.
 */
public final class ShardImages implements CaptionedImages {
    private static final long RANK_STRIDE = 0x632BE59BD9B4E019L;
    /** A row without its image, which is in {@link #jpegs} at the same index; the shard it came from is for errors. */
    private record Entry(long imageId, String fileName, List<String> captions, String shard) {
    }

    private final List<Entry> rows;
    private final MappedBytes jpegs;
    private final int splitSize;
    private final ImagePipeline pipeline;
    private final long seed;

    private ShardImages(List<Entry> rows, MappedBytes jpegs, int splitSize, ImagePipeline pipeline, long seed) {
        this.rows = rows;
        this.jpegs = jpegs;
        this.splitSize = splitSize;
        this.pipeline = pipeline;
        this.seed = seed;
    }

    /**
     * Worker {@code rank}'s share of {@code split} in the shards under {@code dir}.
     *
     * Each shard is checked against manifest.json's SHA-256 as it is opened. A damaged one stops
     * the run with a line naming it, or with {@code skipDamaged} is read as far as it can be and
     * every image of the share decoded once, keeping those that decode (counted in {@code log}).
     *
     * @param local the pairs the worker trains on per step: its share must hold at least as many images
     */
    public static ShardImages read(String dir, String split, Configuration conf, int rank, int workers, int local,
                                   ImagePipeline pipeline, long seed, boolean skipDamaged, PrintStream log) throws IOException {
        Path root = new Path(dir);
        List<JsonNode> shards = ShardReader.entriesOf(ShardReader.manifest(root, conf), root, split);
        long total = 0;
        for (JsonNode shard : shards) {
            total += shard.path("rows").asLong();
        }
        long first = total * rank / workers;
        long end = total * (rank + 1) / workers;
        if (end - first < local) {
            throw new BadInputException(dir + ": split '" + split + "' has " + total + " images, " + (end - first)
                    + " for each of " + workers + " workers, fewer than the " + local
                    + " pairs a worker trains on per step (clip.train.batch-size / clip.dist.workers)");
        }
        List<Entry> mine = new ArrayList<>();
        long skipped = 0;
        long shardStart = 0;
        java.nio.file.Path scratch = java.nio.file.Path.of(System.getProperty("java.io.tmpdir"));
        try (MappedBytes.Writer jpegs = MappedBytes.writer(scratch, MappedBytes.REGION_BYTES)) {
            for (JsonNode shard : shards) {
                long shardEnd = shardStart + shard.path("rows").asLong();
                if (shardEnd > first && shardStart < end) {
                    long from = Math.max(first, shardStart);
                    int count = (int) (Math.min(end, shardEnd) - from);
                    Path path = new Path(root, shard.path("path").asText());
                    String name = path.toString();
                    ShardReader.RowSink keep = row -> {
                        jpegs.add(row.jpeg());
                        mine.add(new Entry(row.imageId(), row.fileName(), row.captions(), name));
                    };
                    if (ShardReader.matchesManifest(shard, root, conf)) {
                        ShardReader.forEach(path, conf, from - shardStart, count, keep);
                    } else if (skipDamaged) {
                        int kept = readable(path, conf, from - shardStart, count, pipeline, keep);
                        skipped += count - kept;
                        log.printf("worker %d: %s is damaged (its SHA-256 differs from manifest.json's): kept the %d of its %d"
                                + " images in this share that decode, skipped %d%n", rank, path, kept, count, count - kept);
                    } else {
                        throw new BadInputException(path + ": damaged or changed after prep (its size or SHA-256 differs from"
                                + " manifest.json's); rerun bin/clip prep, or set clip.data.damaged = skip to train on its readable images");
                    }
                }
                shardStart = shardEnd;
            }
            if (skipped > 0 && mine.size() < local) {
                throw new BadInputException(dir + ": after skipping " + skipped + " damaged images, worker " + rank + "'s share of split '"
                        + split + "' holds " + mine.size() + " images, fewer than the " + local + " pairs it trains on per step");
            }
            if (mine.size() + skipped != end - first) {
                throw new BadInputException(dir + "/manifest.json: its shards of split '" + split + "' hold fewer rows than it says ("
                        + mine.size() + " of rows " + first + ".." + end + " read)");
            }
            return new ShardImages(mine, jpegs.finish(), (int) total, pipeline, seed);
        }
    }

    /**
     * Hands {@code keep} the rows of a damaged shard that can be read and decoded, as they are read;
     * reading stops at the first unreadable row (Parquet stops at the damaged page). How many it kept.
     */
    private static int readable(Path shard, Configuration conf, long first, int count, ImagePipeline pipeline,
                                ShardReader.RowSink keep) throws IOException {
        float[] scratch = new float[3 * pipeline.size() * pipeline.size()];
        int[] kept = {0};
        IOException[] keepFailed = {null};
        try {
            ShardReader.forEach(shard, conf, first, count, row -> {
                try {
                    pipeline.toChw(row.jpeg(), scratch, 0);
                } catch (ImageDecodeException | RuntimeException e) {
                    return;
                }
                try {
                    keep.accept(row);
                } catch (IOException e) {
                    keepFailed[0] = e;
                    throw e;
                }
                kept[0]++;
            });
        } catch (IOException | RuntimeException e) {
            if (keepFailed[0] != null) {
                throw keepFailed[0]; // the scratch file, not the shard
            }
        }
        return kept[0];
    }

    @Override
    public int size() {
        return rows.size();
    }

    @Override
    public int splitSize() {
        return splitSize;
    }

    /** The dataset's id of a row's image. */
    long imageId(int row) {
        return rows.get(row).imageId();
    }

    @Override
    public List<String> captions(int row) {
        return rows.get(row).captions();
    }

    @Override
    public INDArray images(int[] which) {
        return decode(which, (row, pixels, offset) -> pipeline.toChw(jpegs.get(row), pixels, offset));
    }

    @Override
    public INDArray trainingImages(int[] which, long step) {
        // Crops are drawn per (step, image), so they do not depend on which worker decodes the image.
        return decode(which, (row, pixels, offset) -> pipeline.toChwRandomCrop(jpegs.get(row), pixels, offset,
                new SplittableRandom(seed * 31 + step * 1_000_003L + rows.get(row).imageId())));
    }

    @Override
    public BatchSampler.Sample draw(long step, int globalBatch, int rank, int workers) {
        return BatchSampler.sample(seed + rank * RANK_STRIDE, step, globalBatch / workers, rows.size(),
                row -> rows.get(row).captions().size());
    }

    @Override
    public void digest(MessageDigest md) {
        md.update(("size " + pipeline.size() + "\n").getBytes(StandardCharsets.UTF_8));
        for (int i = 0; i < rows.size(); i++) {
            md.update((rows.get(i).imageId() + "\n").getBytes(StandardCharsets.UTF_8));
            md.update(jpegs.get(i));
            rows.get(i).captions().forEach(c -> md.update((c + "\n").getBytes(StandardCharsets.UTF_8)));
        }
    }

    private interface Decode {
        void into(int row, float[] pixels, int offset) throws ImageDecodeException;
    }

    /**
     * The images decoded in two halves when ND4J's pool has two threads ({@link Halves}): a step's
     * batch is decoded before its parts start, so the second core was idle for it (a tenth of a
     * tiny step at batch 64). Each image's pixels depend on nothing but the image and the step,
     * so the bits do not depend on the thread; the first image that fails, in batch order, is the
     * one reported.
     */
    private INDArray decode(int[] which, Decode decode) {
        int size = pipeline.size();
        int floats = 3 * size * size;
        float[] pixels = new float[which.length * floats];
        BadInputException[] failures = new BadInputException[which.length];
        Halves.run(which.length, 1, 2, (from, to) -> {
            for (int i = from; i < to; i++) {
                try {
                    decode.into(which[i], pixels, i * floats);
                } catch (ImageDecodeException e) {
                    Entry row = rows.get(which[i]);
                    failures[i] = new BadInputException(row.shard() + ": image " + row.imageId() + " (" + row.fileName()
                            + "): " + e.getMessage());
                    return;
                }
            }
        });
        for (BadInputException failure : failures) {
            if (failure != null) {
                throw failure;
            }
        }
        return Nd4j.createFromArray(pixels).reshape(which.length, 3, size, size);
    }

    /** Shard images as training sees them and as the exported preprocessor_config.json describes: shorter side, then a square crop. */
    static ImagePipeline pipeline(ImagePreprocessor pre) {
        return new ImagePipeline(pre.size(), pre.mean(), pre.std(), true);
    }
}
