package clip.prep;

import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;

/**
 * A Parquet output file on a Hadoop FileSystem that hashes its bytes as they are written, so a
 * file's checksum for a manifest costs no second read of the file.
 */
public final class DigestingOutputFile implements OutputFile {
    private final FileSystem fs;
    private final Path path;
    private final MessageDigest digest;
    private long length;

    public DigestingOutputFile(FileSystem fs, Path path) {
        this.fs = fs;
        this.path = path;
        try {
            this.digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has SHA-256", e);
        }
    }

    public String sha256() {
        return HexFormat.of().formatHex(digest.digest());
    }

    public long length() {
        return length;
    }

    @Override
    public PositionOutputStream create(long blockSizeHint) throws IOException {
        return createOrOverwrite(blockSizeHint);
    }

    @Override
    public PositionOutputStream createOrOverwrite(long blockSizeHint) throws IOException {
        FSDataOutputStream out = fs.create(path, true);
        return new PositionOutputStream() {
            @Override
            public long getPos() {
                return length;
            }

            @Override
            public void write(int b) throws IOException {
                out.write(b);
                digest.update((byte) b);
                length++;
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
                digest.update(b, off, len);
                length += len;
            }

            @Override
            public void flush() throws IOException {
                out.flush();
            }

            @Override
            public void close() throws IOException {
                // hsync: the shard must be durable before the rename that publishes it.
                out.hsync();
                out.close();
            }
        };
    }

    @Override
    public boolean supportsBlockSize() {
        return false;
    }

    @Override
    public long defaultBlockSize() {
        return 0;
    }
}
