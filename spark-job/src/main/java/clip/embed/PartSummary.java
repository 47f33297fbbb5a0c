package clip.embed;

import java.io.Serializable;
import java.util.List;

/**
 * What one committed part holds, written to {@code _progress/} when the part is committed, so a
 * rerun and the manifest know it without reopening the part's files.
 *
 * @param fingerprint  everything that decides the part's bytes (model, shard, rows, sides, text length)
 * @param dim          the embedding width
 * @param files        one per embedded side
 * @param imageSeconds time spent decoding, encoding and writing the part's images (0 when not embedded)
 * @param textSeconds  time spent tokenizing, encoding and writing its captions (0 when not embedded)
 */
public record PartSummary(String name, String fingerprint, int dim, List<PartFile> files, double imageSeconds,
                          double textSeconds) implements Serializable {
    /** One Parquet file of the part. */
    public record PartFile(String side, String path, int rows, long bytes, String sha256) implements Serializable {
    }

    public int rows(Side side) {
        return files.stream().filter(f -> f.side().equals(side.key())).mapToInt(PartFile::rows).sum();
    }
}
