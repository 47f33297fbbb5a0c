package clip.embed;

import clip.io.BadInputException;
import clip.io.LocalFiles;
import clip.prep.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.lucene.codecs.Codec;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene912.Lucene912Codec;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.TieredMergePolicy;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.store.FSDirectory;

/**
 * Builds one side's approximate nearest-neighbour index (Lucene's HNSW graph) from the Parquet
 * parts of an embedding index: one document per row, in the exact search's order, holding the
 * embedding and what a result shows (image id, file or caption and its place). The graph is built
 * on local disk, merged into one segment (one graph to search), then copied to
 * {@code ann/<side>/} beside the index on any Hadoop FileSystem; {@code ann/<side>.json} is
 * written last, so a half-copied index is never taken for a whole one.
 */
public final class AnnIndexBuilder {
    public static final int DEFAULT_M = 16;
    public static final int DEFAULT_BEAM_WIDTH = 100;

    /** HNSW's two build settings: neighbours per node ({@code m}) and candidates per insertion ({@code beamWidth}). */
    public record Settings(int m, int beamWidth) {
        public Settings {
            if (m < 2 || m > Lucene99HnswVectorsFormat.MAXIMUM_MAX_CONN) {
                throw new BadInputException("--m must be between 2 and " + Lucene99HnswVectorsFormat.MAXIMUM_MAX_CONN + ", not " + m);
            }
            if (beamWidth < 1 || beamWidth > Lucene99HnswVectorsFormat.MAXIMUM_BEAM_WIDTH) {
                throw new BadInputException("--beam-width must be between 1 and " + Lucene99HnswVectorsFormat.MAXIMUM_BEAM_WIDTH
                        + ", not " + beamWidth);
            }
        }
    }

    /** One row of an index as a document: what the builder adds and the search reads back. */
    static final String VECTOR = "embedding";
    static final String ORDER = "order";
    static final String IMAGE_ID = "image_id";
    static final String CAPTION_INDEX = "caption_index";
    static final String TEXT = "text";

    private AnnIndexBuilder() {
    }

    /** Builds {@code side}'s approximate index, replacing any earlier one, with {@code threads} threads adding vectors and merging graphs. */
    public static AnnManifest build(EmbeddingIndex index, Side side, Settings settings, int threads, PrintStream log)
            throws IOException {
        LuceneWarnings.silenceJavaVersionNotice();
        long start = System.nanoTime();
        int dim = index.dim();
        int maxDim = new Lucene99HnswVectorsFormat().getMaxDimensions(VECTOR);
        if (dim > maxDim) {
            throw new BadInputException(index.root() + ": embeddings of " + dim + " values; Lucene's HNSW index takes at most " + maxDim);
        }
        FileSystem fs = index.root().getFileSystem(index.conf());
        remove(fs, index.root(), side);
        java.nio.file.Path local = Files.createTempDirectory("clip-ann");
        ExecutorService mergers = Executors.newFixedThreadPool(threads);
        try {
            long rows = writeGraph(index, side, settings, threads, mergers, local, log);
            log.printf("index: %s: %d vectors added in %.1f s; copying to %s%n", side.key(), rows, seconds(start),
                    AnnManifest.folder(index.root(), side));
            TreeMap<String, AnnManifest.AnnFile> files = copy(local, fs, AnnManifest.folder(index.root(), side));
            AnnManifest manifest = new AnnManifest(AnnManifest.VERSION, side.key(), index.manifestSha256(), settings.m(),
                    settings.beamWidth(), rows, dim, seconds(start), files);
            Path file = AnnManifest.file(index.root(), side);
            AtomicFiles.writeJson(fs, new Path(file.getParent(), "." + file.getName() + ".tmp"), file, manifest);
            return manifest;
        } finally {
            mergers.shutdownNow();
            LocalFiles.deleteTree(local);
        }
    }

    /** Removes {@code side}'s approximate index, its record first, so what is left is never taken for an index. */
    public static void remove(FileSystem fs, Path index, Side side) throws IOException {
        fs.delete(AnnManifest.file(index, side), false);
        fs.delete(AnnManifest.folder(index, side), true);
    }

    private static long writeGraph(EmbeddingIndex index, Side side, Settings settings, int threads, ExecutorService mergers,
                                   java.nio.file.Path local, PrintStream log) throws IOException {
        KnnVectorsFormat hnsw = new Lucene99HnswVectorsFormat(settings.m(), settings.beamWidth(), threads, threads > 1 ? mergers : null);
        Codec codec = new Lucene912Codec() {
            @Override
            public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
                return hnsw;
            }
        };
        TieredMergePolicy merges = new TieredMergePolicy();
        merges.setNoCFSRatio(0.0); // plain files, each listed with its checksum in the record
        // Each indexing thread fills its own in-memory segment and builds its graph as documents
        // arrive; the buffer is as large as Lucene allows, so few segments are left for the merge
        // to insert into the largest one's graph.
        IndexWriterConfig config = new IndexWriterConfig().setCodec(codec).setOpenMode(IndexWriterConfig.OpenMode.CREATE)
                .setRAMBufferSizeMB(1900).setUseCompoundFile(false).setMergePolicy(merges).setCommitOnClose(false);
        List<Path> parts = index.partFiles(side);
        long[] firstOrder = new long[parts.size() + 1];
        for (int i = 0; i < parts.size(); i++) {
            firstOrder[i + 1] = firstOrder[i] + index.partRows(side, i);
        }
        AtomicInteger nextPart = new AtomicInteger();
        AtomicLong added = new AtomicLong();
        long total = index.count(side);
        // Their own threads, not the merge's: a stalled indexing thread must never hold a thread a merge waits for.
        ExecutorService indexing = Executors.newFixedThreadPool(threads);
        try (FSDirectory dir = FSDirectory.open(local); IndexWriter writer = new IndexWriter(dir, config)) {
            List<Future<?>> indexers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                indexers.add(indexing.submit(() -> {
                    for (int p = nextPart.getAndIncrement(); p < parts.size(); p = nextPart.getAndIncrement()) {
                        EmbeddingFiles.Rows rows = EmbeddingFiles.read(parts.get(p), index.conf(), side);
                        for (int i = 0; i < rows.size(); i++) {
                            float[] vector = Arrays.copyOfRange(rows.vectors(), i * rows.dim(), (i + 1) * rows.dim());
                            writer.addDocument(document(rows, i, side, firstOrder[p] + i, vector));
                            long n = added.incrementAndGet();
                            if (n % 100_000 == 0) {
                                log.printf("index: %s: %d/%d vectors added%n", side.key(), n, total);
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : indexers) {
                waitFor(f);
            }
            // One segment is one graph to search: a query over many segments searches each of them.
            writer.forceMerge(1);
            writer.commit();
        } finally {
            indexing.shutdownNow();
        }
        return added.get();
    }

    private static void waitFor(Future<?> f) throws IOException {
        try {
            f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while building the approximate index");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IOException(e.getCause());
        }
    }

    private static Document document(EmbeddingFiles.Rows rows, int i, Side side, long order, float[] vector) {
        Document doc = new Document();
        doc.add(new KnnFloatVectorField(VECTOR, vector, VectorSimilarityFunction.DOT_PRODUCT));
        doc.add(new StoredField(ORDER, order));
        doc.add(new StoredField(IMAGE_ID, rows.imageIds()[i]));
        if (side == Side.TEXTS) {
            doc.add(new StoredField(CAPTION_INDEX, rows.captionIndex()[i]));
        }
        doc.add(new StoredField(TEXT, rows.texts()[i]));
        return doc;
    }

    private static TreeMap<String, AnnManifest.AnnFile> copy(java.nio.file.Path local, FileSystem fs, Path target) throws IOException {
        fs.mkdirs(target);
        TreeMap<String, AnnManifest.AnnFile> files = new TreeMap<>();
        List<java.nio.file.Path> all;
        try (Stream<java.nio.file.Path> list = Files.list(local)) {
            all = list.filter(f -> !f.getFileName().toString().equals("write.lock")).sorted().toList();
        }
        for (java.nio.file.Path f : all) {
            MessageDigest md = Sha256.digest();
            try (InputStream in = new DigestInputStream(Files.newInputStream(f), md);
                 OutputStream out = fs.create(new Path(target, f.getFileName().toString()), true)) {
                in.transferTo(out);
            }
            files.put(f.getFileName().toString(), new AnnManifest.AnnFile(Files.size(f), HexFormat.of().formatHex(md.digest())));
        }
        return files;
    }

    private static double seconds(long start) {
        return (System.nanoTime() - start) / 1e9;
    }
}
