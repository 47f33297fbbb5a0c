package clip.embed;

import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.hadoop.fs.Path;

/**
 * The record of one side's approximate index, written last as {@code ann/<side>.json} beside the
 * Lucene files of {@code ann/<side>/}: which embedding run it was built from (the SHA-256 of the
 * index's manifest.json), the HNSW settings, and every file with its size and SHA-256.
 *
 * @param indexManifestSha256 of the index's manifest.json when the graph was built; a re-embedded index no longer matches
 * @param m                   HNSW: neighbours kept per node
 * @param beamWidth           HNSW: candidates considered per insertion
 * @param files               Lucene's files, by name
 */
public record AnnManifest(int version, String side, String indexManifestSha256, int m, int beamWidth, long rows, int dim,
                          double buildSeconds, SortedMap<String, AnnFile> files) {
    /** Bumped whenever the documents' fields or their meaning change. */
    static final int VERSION = 1;

    public AnnManifest {
        files = new TreeMap<>(files);
    }

    public record AnnFile(long bytes, String sha256) {
    }

    /** The folder of every approximate index of {@code index}: removed whenever the embeddings are redone. */
    public static Path root(Path index) {
        return new Path(index, "ann");
    }

    static Path folder(Path index, Side side) {
        return new Path(root(index), side.key());
    }

    static Path file(Path index, Side side) {
        return new Path(root(index), side.key() + ".json");
    }
}
