package clip.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFactoryTest {
    @TempDir
    Path tmp;

    /** The generated vocab.txt gets the mode of any other file the run writes (it was 0600, from createTempFile). */
    @Test
    void syntheticVocabHasTheModeOfAnOrdinaryFileAndNoTemporaryIsLeft() throws Exception {
        Path vocab = ModelFactory.writeSyntheticVocab(tmp);
        Path ordinary = Files.writeString(tmp.resolve("config.json"), "{}");
        assertEquals(Files.getPosixFilePermissions(ordinary), Files.getPosixFilePermissions(vocab));
        try (var files = Files.list(tmp)) {
            assertEquals(List.of("config.json", "vocab.txt"), files.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }
}
