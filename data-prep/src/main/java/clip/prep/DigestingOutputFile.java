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
 * file's checksum for a manifest costs no second read of the file, and whose bytes depend only on
 * the rows: the last bytes (4 MiB) are held back until the file is closed, so that the
 * footer, written last, reaches the disk with its encodings in a fixed order
 * ({@link FooterEncodingOrder}).
 */
public final class DigestingOutputFile implements OutputFile {
    /** Bytes held back; a footer longer than this fails the write (a shard's is a few kilobytes). */
    static final int HELD = 4 << 20;

    private final FileSystem fs;
    private final Path path;
    private final int heldBytes;
    private final MessageDigest digest;
    private long length;

    public DigestingOutputFile(FileSystem fs, Path path) {
        this(fs, path, HELD);
    }

    DigestingOutputFile(FileSystem fs, Path path, int heldBytes) {
        this.fs = fs;
        this.path = path;
        this.heldBytes = heldBytes;
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
            private final byte[] held = new byte[2 * heldBytes];
            private int count;

            @Override
            public long getPos() {
                return length;
            }

            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            /** Holds the last heldBytes bytes written, and releases what comes before them. */
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                length += len;
                if (len >= heldBytes) {
                    release(held, 0, count);
                    release(b, off, len - heldBytes);
                    System.arraycopy(b, off + len - heldBytes, held, 0, heldBytes);
                    count = heldBytes;
                    return;
                }
                if (count + len > held.length) {
                    int drop = count + len - heldBytes;
                    release(held, 0, drop);
                    System.arraycopy(held, drop, held, 0, count - drop);
                    count -= drop;
                }
                System.arraycopy(b, off, held, count, len);
                count += len;
            }

            private void release(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
                digest.update(b, off, len);
            }

            @Override
            public void flush() throws IOException {
                out.flush();
            }

            @Override
            public void close() throws IOException {
                try {
                    FooterEncodingOrder.sort(held, count);
                    release(held, 0, count);
                    // hsync: the shard must be durable before the rename that publishes it.
                    out.hsync();
                } finally {
                    out.close();
                }
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
