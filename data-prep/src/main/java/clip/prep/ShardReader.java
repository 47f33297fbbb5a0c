package clip.prep;

import clip.io.BadInputException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ChecksumException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.api.ReadSupport;
import org.apache.parquet.hadoop.example.GroupReadSupport;

/** Reads a prep output back: its manifest, the shards of a split, a shard's rows. */
public final class ShardReader {
    private ShardReader() {
    }

    /** The manifest.json of the prep output at {@code root}; a missing one names the folder. */
    public static JsonNode manifest(Path root, Configuration conf) throws IOException {
        Path file = new Path(root, "manifest.json");
        FileSystem fs = root.getFileSystem(conf);
        if (!fs.exists(file)) {
            throw new BadInputException(root + ": no manifest.json (not the output of bin/clip prep, or an unfinished run)");
        }
        try (InputStream in = fs.open(file)) {
            return new ObjectMapper().readTree(in);
        }
    }

    /** The shards of {@code split}, in manifest order; none is a one-line error. */
    public static List<Path> shardsOf(JsonNode manifest, Path root, String split) {
        return entriesOf(manifest, root, split).stream().map(shard -> new Path(root, shard.path("path").asText())).toList();
    }

    /** The manifest's entries (path, rows, captions, sha256) of the shards of {@code split}, in order; none is a one-line error. */
    public static List<JsonNode> entriesOf(JsonNode manifest, Path root, String split) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode shard : manifest.path("shards")) {
            if (shard.path("split").asText().equals(split)) {
                out.add(shard);
            }
        }
        if (out.isEmpty()) {
            throw new BadInputException(root + "/manifest.json lists no shard of split '" + split + "'");
        }
        return out;
    }

    /**
     * Checks a shard against its manifest entry (size and SHA-256, read in full), so a flipped bit
     * or a truncation is found when the shard is opened rather than when an image fails to
     * decode, or never; a damaged or missing shard is a one-line error naming it.
     */
    public static void verify(JsonNode entry, Path root, Configuration conf) throws IOException {
        verify(new Path(root, entry.path("path").asText()), entry.path("bytes").asLong(-1), entry.path("sha256").asText(), conf);
    }

    /** @param bytes the shard's size in the manifest, or -1 if the caller does not know it */
    public static void verify(Path shard, long bytes, String sha256, Configuration conf) throws IOException {
        if (!matches(shard, bytes, sha256, conf)) {
            throw new BadInputException(shard + ": damaged or changed after prep (its size or SHA-256 differs from manifest.json's)");
        }
    }

    /** Whether a shard's bytes are those its manifest entry lists; a missing shard is a one-line error. */
    public static boolean matchesManifest(JsonNode entry, Path root, Configuration conf) throws IOException {
        return matches(new Path(root, entry.path("path").asText()), entry.path("bytes").asLong(-1), entry.path("sha256").asText(), conf);
    }

    private static boolean matches(Path shard, long bytes, String sha256, Configuration conf) throws IOException {
        FileSystem fs = shard.getFileSystem(conf);
        if (!fs.exists(shard)) {
            throw new BadInputException(shard + ": missing (manifest.json lists it)");
        }
        if (bytes >= 0 && fs.getFileStatus(shard).getLen() != bytes) {
            return false;
        }
        try (DigestInputStream in = new DigestInputStream(fs.open(shard), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(in.getMessageDigest().digest()).equals(sha256);
        } catch (ChecksumException e) {
            return false; // Hadoop's .crc side file caught it first
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static List<ShardSchema.Row> read(Path shard, Configuration conf) throws IOException {
        return read(shard, conf, 0, Integer.MAX_VALUE);
    }

    /** Rows {@code [first, first + count)} of a shard, or fewer at its end; the rows before are read past, not kept. */
    public static List<ShardSchema.Row> read(Path shard, Configuration conf, long first, int count) throws IOException {
        List<ShardSchema.Row> rows = new ArrayList<>();
        forEach(shard, conf, first, count, rows::add);
        return rows;
    }

    /** Takes a shard's rows one at a time, as they are read. */
    @FunctionalInterface
    public interface RowSink {
        void accept(ShardSchema.Row row) throws IOException;
    }

    /**
     * Rows {@code [first, first + count)} of a shard, or fewer at its end, handed to {@code sink} as
     * they are read, so a caller that keeps them elsewhere never holds the shard's rows at once.
     */
    public static void forEach(Path shard, Configuration conf, long first, long count, RowSink sink) throws IOException {
        try (ParquetReader<Group> reader = ParquetReader.builder(new GroupReadSupport(), shard).withConf(conf).build()) {
            long index = 0;
            for (Group g = reader.read(); g != null && index < first + count; g = reader.read(), index++) {
                if (index >= first) {
                    sink.accept(ShardSchema.fromGroup(g));
                }
            }
        }
    }

    /** How many captions each row of a shard has, from the captions column alone (the images are not read). */
    public static int[] captionCounts(Path shard, Configuration conf) throws IOException {
        Configuration captionsOnly = new Configuration(conf);
        captionsOnly.set(ReadSupport.PARQUET_READ_SCHEMA, ShardSchema.CAPTIONS_ONLY.toString());
        List<Integer> counts = new ArrayList<>();
        try (ParquetReader<Group> reader = ParquetReader.builder(new GroupReadSupport(), shard).withConf(captionsOnly).build()) {
            for (Group g = reader.read(); g != null; g = reader.read()) {
                counts.add(g.getGroup("captions", 0).getFieldRepetitionCount("list"));
            }
        }
        return counts.stream().mapToInt(Integer::intValue).toArray();
    }
}
