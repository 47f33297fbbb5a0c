package clip.embed;

import clip.io.BadInputException;
import clip.io.LocalFiles;
import clip.prep.AtomicFiles;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.lucene.document.Document;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.store.MMapDirectory;

/**
 * One side's approximate index, opened for search. The HNSW graph proposes {@code candidates}
 * rows; each is scored again as the exact search scores it (the dot product of the stored
 * embedding and the query), and the best {@code k} are returned in the exact search's form and
 * order (score, then index order). On a local disk the files are read where they are; from any
 * other Hadoop FileSystem they are first copied to a local cache folder named by the record's
 * checksums, each file's SHA-256 checked on the way.
 */
public final class AnnIndex implements Closeable {
    private final AnnManifest manifest;
    private final DirectoryReader reader;
    private final IndexSearcher searcher;

    private AnnIndex(AnnManifest manifest, DirectoryReader reader) {
        this.manifest = manifest;
        this.reader = reader;
        this.searcher = new IndexSearcher(reader);
    }

    /** Whether {@code side} of the index has an approximate index, whole or not (a partial one is an error, not a reason to read every vector). */
    public static boolean exists(EmbeddingIndex index, Side side) throws IOException {
        FileSystem fs = index.root().getFileSystem(index.conf());
        return fs.exists(AnnManifest.file(index.root(), side)) || fs.exists(AnnManifest.folder(index.root(), side));
    }

    public static AnnIndex open(EmbeddingIndex index, Side side) throws IOException {
        LuceneWarnings.silenceJavaVersionNotice();
        FileSystem fs = index.root().getFileSystem(index.conf());
        Path folder = AnnManifest.folder(index.root(), side);
        Path file = AnnManifest.file(index.root(), side);
        String rebuild = ": rebuild it with bin/clip index --index " + index.root() + ", or search with --exact";
        if (!fs.exists(file)) {
            throw new BadInputException(folder + ": approximate index without its record " + file.getName() + " (an unfinished bin/clip index?)"
                    + rebuild);
        }
        AnnManifest manifest = AtomicFiles.readJsonOrNull(fs, file, AnnManifest.class);
        if (manifest == null || manifest.version() != AnnManifest.VERSION || manifest.files() == null) {
            throw new BadInputException(file + ": not a readable approximate index record" + rebuild);
        }
        if (!manifest.indexManifestSha256().equals(index.manifestSha256())) {
            throw new BadInputException(folder + ": built from other embeddings than " + index.root() + "/manifest.json now lists"
                    + rebuild);
        }
        java.nio.file.Path local = isLocal(fs) ? checkSizes(fs, folder, manifest, rebuild) : cached(fs, folder, manifest, rebuild);
        try {
            DirectoryReader reader = DirectoryReader.open(new MMapDirectory(local));
            if (reader.maxDoc() != manifest.rows()) {
                reader.close();
                throw new BadInputException(folder + ": holds " + reader.maxDoc() + " rows, its record says " + manifest.rows() + rebuild);
            }
            return new AnnIndex(manifest, reader);
        } catch (IOException | RuntimeException e) {
            if (e instanceof BadInputException bad) {
                throw bad;
            }
            throw new BadInputException(folder + ": unreadable approximate index (" + oneLine(e) + ")" + rebuild, e);
        }
    }

    public AnnManifest manifest() {
        return manifest;
    }

    /**
     * The {@code k} rows nearest {@code query} among the graph's {@code candidates} best, as
     * {@link EmbeddingIndex#nearest} returns them.
     */
    public List<EmbeddingIndex.Hit> nearest(float[] query, int k, int candidates) throws IOException {
        if (query.length != manifest.dim()) {
            throw new BadInputException("the query has " + query.length + " values, the approximate index's embeddings " + manifest.dim());
        }
        int n = Math.max(k, candidates);
        ScoreDoc[] found = searcher.search(new KnnFloatVectorQuery(AnnIndexBuilder.VECTOR, query, n), n).scoreDocs;
        // Vector values are read forward only, so in document order.
        ScoreDoc[] byDoc = found.clone();
        java.util.Arrays.sort(byDoc, Comparator.comparingInt(d -> d.doc));
        List<Candidate> scored = new ArrayList<>();
        List<LeafReaderContext> leaves = reader.leaves();
        FloatVectorValues values = null;
        int leafIndex = -1;
        StoredFields stored = reader.storedFields();
        for (ScoreDoc d : byDoc) {
            int leaf = ReaderUtil.subIndex(d.doc, leaves);
            if (leaf != leafIndex) {
                leafIndex = leaf;
                values = leaves.get(leaf).reader().getFloatVectorValues(AnnIndexBuilder.VECTOR);
            }
            values.advance(d.doc - leaves.get(leaf).docBase);
            long order = stored.document(d.doc, java.util.Set.of(AnnIndexBuilder.ORDER)).getField(AnnIndexBuilder.ORDER)
                    .numericValue().longValue();
            scored.add(new Candidate(dot(query, values.vectorValue()), order, d.doc));
        }
        scored.sort(Comparator.comparingDouble(Candidate::score).reversed().thenComparingLong(Candidate::order));
        List<EmbeddingIndex.Hit> hits = new ArrayList<>();
        for (Candidate c : scored.subList(0, Math.min(k, scored.size()))) {
            Document doc = stored.document(c.doc());
            long imageId = doc.getField(AnnIndexBuilder.IMAGE_ID).numericValue().longValue();
            String text = doc.get(AnnIndexBuilder.TEXT);
            hits.add(manifest.side().equals(Side.IMAGES.key())
                    ? new EmbeddingIndex.Hit(hits.size() + 1, c.score(), imageId, text, -1, null)
                    : new EmbeddingIndex.Hit(hits.size() + 1, c.score(), imageId, null,
                            doc.getField(AnnIndexBuilder.CAPTION_INDEX).numericValue().intValue(), text));
        }
        return hits;
    }

    @Override
    public void close() throws IOException {
        reader.close();
    }

    private record Candidate(float score, long order, int doc) {
    }

    private static float dot(float[] a, float[] b) {
        float s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    private static boolean isLocal(FileSystem fs) {
        return fs instanceof LocalFileSystem || fs instanceof RawLocalFileSystem;
    }

    /** Every recorded file present with its recorded size; a full checksum of gigabytes would cost more than the search. */
    private static java.nio.file.Path checkSizes(FileSystem fs, Path folder, AnnManifest manifest, String rebuild) throws IOException {
        for (Map.Entry<String, AnnManifest.AnnFile> e : manifest.files().entrySet()) {
            Path f = new Path(folder, e.getKey());
            if (!fs.exists(f)) {
                throw new BadInputException(f + ": missing from the approximate index" + rebuild);
            }
            FileStatus status = fs.getFileStatus(f);
            if (status.getLen() != e.getValue().bytes()) {
                throw new BadInputException(f + ": " + status.getLen() + " bytes, the approximate index's record says "
                        + e.getValue().bytes() + rebuild);
            }
        }
        return Paths.get(fs.makeQualified(folder).toUri());
    }

    /**
     * A local copy of an index on another file system, in a cache folder named by the checksums of
     * its files: copied once, checked, then renamed into place, so a folder there is always whole.
     */
    private static java.nio.file.Path cached(FileSystem fs, Path folder, AnnManifest manifest, String rebuild) throws IOException {
        MessageDigest key = Sha256.digest();
        manifest.files().forEach((name, f) -> key.update((name + " " + f.sha256() + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        java.nio.file.Path cache = Paths.get(System.getProperty("java.io.tmpdir"), "clip-ann-cache");
        java.nio.file.Path target = cache.resolve(HexFormat.of().formatHex(key.digest()));
        if (Files.isDirectory(target)) {
            return target;
        }
        Files.createDirectories(cache);
        java.nio.file.Path partial = Files.createTempDirectory(cache, ".copy");
        try {
            for (Map.Entry<String, AnnManifest.AnnFile> e : manifest.files().entrySet()) {
                Path f = new Path(folder, e.getKey());
                if (!fs.exists(f)) {
                    throw new BadInputException(f + ": missing from the approximate index" + rebuild);
                }
                MessageDigest md = Sha256.digest();
                try (InputStream in = fs.open(f);
                     OutputStream out = new DigestOutputStream(Files.newOutputStream(partial.resolve(e.getKey())), md)) {
                    in.transferTo(out);
                }
                if (!HexFormat.of().formatHex(md.digest()).equals(e.getValue().sha256())) {
                    throw new BadInputException(f + ": its SHA-256 differs from the approximate index's record" + rebuild);
                }
            }
            try {
                Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
                // another search copied the same files meanwhile: theirs are as good
            }
            return target;
        } finally {
            LocalFiles.deleteTree(partial);
        }
    }

    private static String oneLine(Exception e) {
        return (e.getClass().getSimpleName() + ": " + e.getMessage()).replaceAll("\\s+", " ");
    }
}
