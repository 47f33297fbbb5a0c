package clip.prep;

import clip.prep.source.Fault;
import java.io.Serializable;
import java.util.List;

/**
 * What one finished shard holds and what its images cost, written beside the output (in
 * {@code _progress/}) when the shard is committed, so a rerun and the manifest know it without
 * reopening the shard.
 */
public record ShardSummary(String name, String split, int rows, int captions, long bytes, String sha256,
                           String fingerprint, int imagesRejected, int captionsRejected, List<Fault> faults)
        implements Serializable {
}
