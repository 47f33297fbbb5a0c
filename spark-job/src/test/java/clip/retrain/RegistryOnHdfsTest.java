package clip.retrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The registry on an in-process HDFS, where a plain rename refuses an existing target and
 * creating a file that exists fails in the NameNode: promotions replace production, the lock
 * admits one run, a version comes back to a local folder whole.
 */
class RegistryOnHdfsTest {
    @TempDir
    Path tmp;

    @Test
    void promotesReplacesProductionAndLocksOnHdfs() throws Exception {
        Configuration conf = new Configuration();
        MiniDFSCluster hdfs = new MiniDFSCluster.Builder(conf, tmp.resolve("hdfs").toFile()).numDataNodes(1).build();
        try {
            hdfs.waitActive();
            String location = hdfs.getURI() + "/models/clip";
            PrintStream log = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
            try (ModelRegistry registry = new ModelRegistry(location, conf);
                 RegistryLock lock = registry.lock("run1", Duration.ofHours(1), log)) {
                assertThrows(RegistryLockedException.class, () -> registry.lock("run2", Duration.ofHours(1), log));
                registry.recover(log);
                ModelRegistryTest.promoteAndRecord(registry, tmp.resolve("scratch"), "v000001", "run1");
                ModelRegistryTest.promoteAndRecord(registry, tmp.resolve("scratch"), "v000002", "run2");
                assertEquals(Optional.of("v000002"), registry.production());
                assertEquals("v000003", registry.nextVersion());
                Path local = tmp.resolve("production");
                registry.download("v000002", local);
                assertEquals("weights of v000002", Files.readString(local.resolve("model.safetensors")));
                lock.checkHeld();
            }
            FileSystem fs = hdfs.getFileSystem();
            try (InputStream in = fs.open(new org.apache.hadoop.fs.Path("/models/clip/production"))) {
                assertEquals("v000002\n", new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
            assertTrue(!fs.exists(new org.apache.hadoop.fs.Path("/models/clip/LOCK")) && !fs.exists(new org.apache.hadoop.fs.Path("/models/clip/_tmp")));
        } finally {
            hdfs.shutdown();
        }
    }
}
