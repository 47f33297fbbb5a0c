package clip.prep;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir
    java.nio.file.Path tmp;

    /** A reader polling the target while it is replaced again and again never finds it missing. */
    @Test
    void replacingAFileNeverLeavesItsNameEmpty() throws Exception {
        FileSystem fs = FileSystem.getLocal(new Configuration());
        Path target = new Path(tmp.resolve("manifest.json").toUri());
        write(fs, target, "version 0");
        AtomicBoolean done = new AtomicBoolean();
        AtomicInteger missing = new AtomicInteger();
        Thread reader = new Thread(() -> {
            java.nio.file.Path local = tmp.resolve("manifest.json");
            while (!done.get()) {
                if (!Files.exists(local)) {
                    missing.incrementAndGet();
                }
            }
        });
        reader.start();
        int versions = 100;
        try {
            for (int v = 1; v <= versions; v++) {
                Path next = new Path(tmp.resolve("manifest.json.tmp").toUri());
                write(fs, next, "version " + v);
                AtomicFiles.replace(fs, next, target);
            }
        } finally {
            done.set(true);
            reader.join();
        }
        assertEquals(0, missing.get(), "times the target was missing");
        try (var in = fs.open(target)) { // through the checksummed file system: the .crc moved with it
            assertEquals("version " + versions, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        assertEquals(false, fs.exists(new Path(tmp.resolve("manifest.json.tmp").toUri())));
    }

    /** A file system of its own scheme, which FileContext has no binding for. */
    public static final class Unbound extends org.apache.hadoop.fs.RawLocalFileSystem {
        @Override
        public java.net.URI getUri() {
            return java.net.URI.create("unbound:///");
        }

        @Override
        public String getScheme() {
            return "unbound";
        }
    }

    @Test
    void aFileSystemFileContextDoesNotKnowIsReplacedByDeleteAndRename() throws Exception {
        Configuration conf = new Configuration();
        conf.set("fs.unbound.impl", Unbound.class.getName());
        conf.setBoolean("fs.unbound.impl.disable.cache", true);
        FileSystem fs = FileSystem.get(java.net.URI.create("unbound:///"), conf);
        Path target = new Path("unbound://" + tmp.resolve("a.json"));
        Path next = new Path("unbound://" + tmp.resolve("a.json.tmp"));
        write(fs, target, "old");
        write(fs, next, "new");
        AtomicFiles.replace(fs, next, target);
        assertEquals("new", Files.readString(tmp.resolve("a.json")));
        assertEquals(false, Files.exists(tmp.resolve("a.json.tmp")));
    }

    private static void write(FileSystem fs, Path p, String text) throws Exception {
        try (FSDataOutputStream o = fs.create(p, true)) {
            o.write(text.getBytes(StandardCharsets.UTF_8));
        }
    }
}
