package clip.prep;

import clip.io.WriteFailure;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.hadoop.fs.FSError;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.UnsupportedFileSystemException;

/**
 * Publishing a file by rename, on any Hadoop FileSystem: whoever looks at the target sees the
 * old file or the whole new one, never a half-written one.
 */
public final class AtomicFiles {
    private static final ObjectMapper JSON = new ObjectMapper();

    private AtomicFiles() {
    }

    /**
     * Rename that overwrites, without a moment in which {@code to} is missing (HDFS's plain rename
     * refuses an existing target, and deleting it first left such a moment): on a local disk
     * rename(2) replaces the target in one step (the checksum file follows just after); elsewhere
     * FileContext's overwriting rename, one NameNode operation on HDFS. Object stores (S3A and the
     * like) have no atomic rename at all, and a file system FileContext does not know is replaced
     * by delete and rename: on those the old file can still be gone for a while.
     */
    public static void replace(FileSystem fs, Path from, Path to) throws IOException {
        fs.mkdirs(to.getParent());
        if (!fs.getScheme().equals("file")) {
            try {
                FileContext.getFileContext(fs.getUri(), fs.getConf()).rename(from, to, Options.Rename.OVERWRITE);
                return;
            } catch (UnsupportedFileSystemException e) {
                fs.delete(to, false);
            }
        }
        if (!fs.rename(from, to)) {
            throw new IOException("could not rename " + from + " to " + to);
        }
    }

    /** {@code value} as indented JSON, written to {@code tmp} and then renamed to {@code target}. */
    public static void writeJson(FileSystem fs, Path tmp, Path target, Object value) throws IOException {
        try (OutputStream o = fs.create(tmp, true)) {
            JSON.writerWithDefaultPrettyPrinter().writeValue(o, value);
        } catch (IOException | FSError e) {
            throw WriteFailure.naming(tmp, e);
        }
        replace(fs, tmp, target);
    }

    /** The JSON file at {@code file} as a {@code type}, or null when it is missing or unreadable (then whatever it records is redone). */
    public static <T> T readJsonOrNull(FileSystem fs, Path file, Class<T> type) throws IOException {
        if (!fs.exists(file)) {
            return null;
        }
        try (InputStream in = fs.open(file)) {
            return JSON.readValue(in, type);
        } catch (IOException e) {
            return null;
        }
    }
}
