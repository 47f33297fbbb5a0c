package clip.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Items come back as written, across several mappings, and the scratch file never outlives the writer. */
class MappedBytesTest {
    @TempDir
    Path dir;

    @Test
    void itemsComeBackAsWrittenAcrossMappingsAndTheScratchFileIsGone() throws Exception {
        Random random = new Random(7);
        List<byte[]> items = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            byte[] item = new byte[i % 17 == 0 ? 0 : random.nextInt(120)];
            random.nextBytes(item);
            items.add(item);
        }
        items.add(new byte[500]); // larger than a mapping: one of its own
        MappedBytes stored;
        try (MappedBytes.Writer writer = MappedBytes.writer(dir, 256)) {
            for (byte[] item : items) {
                writer.add(item);
            }
            stored = writer.finish();
        }
        assertEquals(0, files(), "deleted once mapped");
        assertEquals(items.size(), stored.size());
        for (int i = 0; i < items.size(); i++) {
            assertArrayEquals(items.get(i), stored.get(i), "item " + i);
        }
    }

    @Test
    void aWriterClosedBeforeFinishingDeletesItsFile() throws Exception {
        try (MappedBytes.Writer writer = MappedBytes.writer(dir, MappedBytes.REGION_BYTES)) {
            writer.add(new byte[] {1, 2, 3});
        }
        assertEquals(0, files());
    }

    private long files() throws Exception {
        try (var listing = Files.list(dir)) {
            return listing.count();
        }
    }
}
