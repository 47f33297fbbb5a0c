package clip.prep;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Holding the tail back changes nothing but the footer's encodings order, whatever the sizes of the writes. */
class DigestingOutputFileTest {
    private static final MessageType SCHEMA = MessageTypeParser.parseMessageType(
            "message t { required int64 id; required binary blob; }");

    @TempDir
    java.nio.file.Path tmp;

    private byte[] write(String name, int heldBytes, FileSystem fs) throws Exception {
        Path path = new Path(tmp.resolve(name).toUri());
        DigestingOutputFile file = new DigestingOutputFile(fs, path, heldBytes);
        SplittableRandom random = new SplittableRandom(3);
        SimpleGroupFactory groups = new SimpleGroupFactory(SCHEMA);
        try (ParquetWriter<Group> writer = ExampleParquetWriter.builder(file).withType(SCHEMA).withPageSize(20_000).build()) {
            for (int row = 0; row < 60; row++) {
                byte[] blob = new byte[random.nextInt(1, 5000)];
                random.nextBytes(blob);
                writer.write(groups.newGroup().append("id", (long) row).append("blob", Binary.fromConstantByteArray(blob)));
            }
        }
        byte[] bytes = Files.readAllBytes(tmp.resolve(name));
        assertEquals(bytes.length, file.length(), name);
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)), file.sha256(), name);
        try (ParquetReader<Group> reader = ParquetReader.builder(new GroupReadSupport(), path).build()) {
            for (int row = 0; row < 60; row++) {
                assertEquals(row, reader.read().getLong("id", 0), name);
            }
        }
        return bytes;
    }

    @Test
    void aSmallHoldReleasesEveryByteInOrderAndTheFileReadsBack() throws Exception {
        FileSystem fs = FileSystem.getLocal(new Configuration()).getRawFileSystem();
        byte[] whole = write("whole.parquet", DigestingOutputFile.HELD, fs);
        // Pages of ~20 KB against 4 KB held: writes both longer and shorter than the hold.
        assertArrayEquals(whole, write("small-hold.parquet", 4096, fs));
    }
}
