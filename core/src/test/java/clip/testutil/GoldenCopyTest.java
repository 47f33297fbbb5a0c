package clip.testutil;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The repository's copy of the reference outputs is exactly what {@code testdata/golden.sha256} lists. */
class GoldenCopyTest {
    /**
     * The copy matches its list; and the workspace's own references, when they sit beside the
     * checkout (as in development and CI), have not moved on from it.
     */
    @Test
    void copyMatchesItsChecksumListAndTheWorkspace() throws IOException {
        Map<String, String> listed = listed();
        assertEquals(listed, digests(Golden.dir()));
        Path workspace = Golden.dir().getParent().getParent().getParent().resolve("shared").resolve("golden");
        if (Files.isDirectory(workspace)) {
            assertEquals(listed, digests(workspace), workspace + " differs from testdata/golden: copy it in");
        }
    }

    private static Map<String, String> listed() throws IOException {
        Map<String, String> out = new TreeMap<>();
        for (String line : Files.readAllLines(Golden.dir().resolveSibling("golden.sha256"))) {
            out.put(line.substring(66), line.substring(0, 64));
        }
        return out;
    }

    private static Map<String, String> digests(Path dir) throws IOException {
        Map<String, String> out = new TreeMap<>();
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = walk.filter(Files::isRegularFile).toList();
        }
        for (Path f : files) {
            out.put(dir.relativize(f).toString(), sha256(f));
        }
        return out;
    }

    private static String sha256(Path f) throws IOException {
        try (InputStream in = new DigestInputStream(Files.newInputStream(f), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
