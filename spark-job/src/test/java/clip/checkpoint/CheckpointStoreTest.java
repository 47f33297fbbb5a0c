package clip.checkpoint;

import clip.io.BadInputException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class CheckpointStoreTest {
    @TempDir
    Path tmp;

    private final ObjectMapper json = new ObjectMapper();

    private CheckpointStore store(int keep) {
        return new CheckpointStore(tmp.toUri(), new Configuration(), keep);
    }

    private void writeStep(CheckpointStore s, long step, int shards) throws IOException {
        for (int i = 0; i < shards; i++) {
            s.writeShard(step, i, shards, Map.of("params", Nd4j.createFromArray((float) step, (float) i)));
        }
        ObjectNode state = json.createObjectNode().put("data_position", step * 10);
        s.commit(step, shards, state);
    }

    @Test
    void committedShardsReadBackWithTheirState() throws Exception {
        CheckpointStore s = store(3);
        writeStep(s, 5, 2);
        assertEquals(Optional.of(5L), s.latest());
        INDArray p = s.readShard(5, 1, 2).get("params");
        assertEquals(Nd4j.createFromArray(5f, 1f), p);
        assertEquals(50, s.manifest(5).path("state").path("data_position").asLong());
    }

    @Test
    void uncommittedStepIsInvisibleAndCleanedUpByTheNextCommit() throws Exception {
        CheckpointStore s = store(3);
        writeStep(s, 1, 2);
        s.writeShard(2, 0, 2, Map.of("params", Nd4j.zeros(2)));
        assertEquals(Optional.of(1L), s.latest(), "a step without its manifest is not a checkpoint");
        assertThrows(IOException.class, () -> s.commit(2, 2, json.createObjectNode()), "shard 1 is missing");
        writeStep(s, 3, 2);
        assertEquals(List.of(1L, 3L), s.committedSteps());
        assertFalse(Files.exists(tmp.resolve("step-000000002")), "abandoned write removed");
    }

    @Test
    void keepsOnlyTheNewestK() throws Exception {
        CheckpointStore s = store(2);
        for (long step = 1; step <= 4; step++) {
            writeStep(s, step, 1);
        }
        assertEquals(List.of(3L, 4L), s.committedSteps());
    }

    @Test
    void corruptOrMalformedManifestIsNamed() throws Exception {
        CheckpointStore s = store(2);
        writeStep(s, 7, 1);
        Path manifest = tmp.resolve("step-000000007/manifest.json");
        Files.writeString(manifest, "{ not json");
        BadInputException corrupt = assertThrows(BadInputException.class, () -> s.manifest(7));
        assertTrue(corrupt.getMessage().contains("manifest.json") && corrupt.getMessage().contains("checksum"),
                corrupt.getMessage());
        Files.delete(tmp.resolve("step-000000007/.manifest.json.crc"));
        BadInputException malformed = assertThrows(BadInputException.class, () -> s.manifest(7));
        assertTrue(malformed.getMessage().contains("malformed"), malformed.getMessage());
    }
}
