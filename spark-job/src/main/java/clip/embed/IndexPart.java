package clip.embed;

import clip.prep.ShardReader;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * One part of an index, the work of one Spark task: rows {@code [firstRow, firstRow + rows)} of
 * one data-prep shard, embedded into {@code images/part-NNNNN.parquet} and
 * {@code texts/part-NNNNN.parquet}. The same shards and part size always give the same parts,
 * which is what lets a rerun keep the parts already committed.
 *
 * @param shard       the shard's path inside the data-prep output, as its manifest lists it
 * @param shardSha256 the shard's checksum from that manifest: a re-prepped shard makes the part stale
 * @param captions    how many captions those rows have
 */
public record IndexPart(int index, String shard, String shardSha256, long firstRow, int rows, int captions)
        implements Serializable {
    public String name() {
        return String.format("part-%05d", index);
    }

    /** The part's file of one side, relative to the index folder. */
    public String file(Side side) {
        return side.key() + "/" + name() + ".parquet";
    }

    /** Each shard of {@code split}, in manifest order, cut into runs of {@code rowsPerPart} rows. */
    public static List<IndexPart> plan(JsonNode prepManifest, Path dataRoot, String split, int rowsPerPart, Configuration conf)
            throws IOException {
        List<IndexPart> parts = new ArrayList<>();
        for (JsonNode shard : ShardReader.entriesOf(prepManifest, dataRoot, split)) {
            String path = shard.path("path").asText();
            int[] captions = ShardReader.captionCounts(new Path(dataRoot, path), conf);
            if (captions.length != shard.path("rows").asInt()) {
                throw new IOException(new Path(dataRoot, path) + " has " + captions.length + " rows but its manifest says "
                        + shard.path("rows").asInt() + " (was the data-prep output changed after it finished?)");
            }
            for (int first = 0; first < captions.length; first += rowsPerPart) {
                int end = Math.min(captions.length, first + rowsPerPart);
                parts.add(new IndexPart(parts.size(), path, shard.path("sha256").asText(), first, end - first,
                        Arrays.stream(captions, first, end).sum()));
            }
        }
        return parts;
    }
}
