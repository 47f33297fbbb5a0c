package clip.prep;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;
import org.apache.parquet.format.ColumnChunk;
import org.apache.parquet.format.Encoding;
import org.apache.parquet.format.FileMetaData;
import org.apache.parquet.format.RowGroup;
import org.apache.parquet.format.Util;

/**
 * Puts each column chunk's list of encodings in a Parquet footer in one fixed order (by the
 * format's enum value). parquet-mr 1.13 gathers them in a HashSet of enum constants, whose order
 * follows identity hash codes and so changes from one JVM to the next: the same rows gave files
 * that differed in those bytes (and in their sha256). The reordered footer has the same length.
 */
final class FooterEncodingOrder {
    private static final byte[] MAGIC = "PAR1".getBytes(StandardCharsets.US_ASCII);

    private FooterEncodingOrder() {
    }

    /**
     * Rewrites, in place, the footer at the end of {@code tail[0, end)}: the last bytes of a Parquet
     * file, which must hold the whole footer (its thrift metadata, its 4-byte length and "PAR1").
     */
    static void sort(byte[] tail, int end) throws IOException {
        if (end < 8 || !Arrays.equals(tail, end - 4, end, MAGIC, 0, 4)) {
            throw new IOException("not the end of a Parquet file (no PAR1 at the end)");
        }
        int length = ByteBuffer.wrap(tail, end - 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        int start = end - 8 - length;
        if (length < 0 || start < 0) {
            throw new IOException("Parquet footer of " + length + " bytes is longer than the " + (end - 8)
                    + " bytes held before it");
        }
        FileMetaData footer = Util.readFileMetaData(new ByteArrayInputStream(tail, start, length));
        for (RowGroup group : footer.getRow_groups()) {
            for (ColumnChunk chunk : group.getColumns()) {
                if (chunk.isSetMeta_data() && chunk.getMeta_data().isSetEncodings()) {
                    chunk.getMeta_data().getEncodings().sort(Comparator.comparingInt(Encoding::getValue));
                }
            }
        }
        ByteArrayOutputStream sorted = new ByteArrayOutputStream(length);
        Util.writeFileMetaData(footer, sorted);
        if (sorted.size() != length) {
            throw new IOException("the reordered Parquet footer has " + sorted.size() + " bytes, not " + length);
        }
        System.arraycopy(sorted.toByteArray(), 0, tail, start, length);
    }
}
