package clip.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalFilesTest {
    @TempDir
    Path tmp;

    @Test
    void replaceTreePutsTheNewFolderInPlaceWholeAndLeavesNoOldOne() throws IOException {
        Path target = Files.createDirectories(tmp.resolve("model"));
        Files.writeString(target.resolve("a"), "old");
        Files.writeString(target.resolve("only-old"), "old");
        Path fresh = Files.createDirectories(tmp.resolve("model.tmp"));
        Files.writeString(fresh.resolve("a"), "new");
        Files.createDirectories(tmp.resolve("model.old")); // what a kill between the renames left
        LocalFiles.replaceTree(fresh, target);
        assertEquals("new", Files.readString(target.resolve("a")));
        assertFalse(Files.exists(target.resolve("only-old")), "the old folder's files do not mix in");
        assertFalse(Files.exists(fresh) || Files.exists(tmp.resolve("model.old")));
        LocalFiles.replaceTree(Files.createDirectories(tmp.resolve("first.tmp")), tmp.resolve("first"));
        assertTrue(Files.isDirectory(tmp.resolve("first")), "no folder to replace yet");
    }

    @Test
    void aFailedWriteNamesItsFileAndTheInnermostReason() {
        IOException e = WriteFailure.naming(tmp.resolve("x.bin"),
                new Error("org.apache.hadoop.fs.FSError: java.io.IOException: No space left on device",
                        new IOException("No space left on device")));
        assertEquals("could not write " + tmp.resolve("x.bin") + ": No space left on device", e.getMessage());
    }
}
