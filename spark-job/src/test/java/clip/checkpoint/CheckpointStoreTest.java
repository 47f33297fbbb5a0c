package clip.checkpoint;

import clip.io.BadInputException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.factory.Nd4j;

class CheckpointStoreTest {
    @TempDir
    Path tmp;

    private final ObjectMapper json = new ObjectMapper();
    private final List<String> warnings = new ArrayList<>();

    private CheckpointStore store(int keep) {
        return new CheckpointStore(tmp.toUri(), new Configuration(), keep);
    }

    /** Tensor w (2x3) split over two slices at value 4, b (2) whole in the second; values encode the step. */
    private void writeStep(CheckpointStore s, long step) throws IOException {
        float v = step;
        SliceDigest first = s.writeSlice(step, 0, 2, Map.of("w", Nd4j.createFromArray(v, v + 1, v + 2, v + 3)));
        SliceDigest second = s.writeSlice(step, 1, 2, Map.of("w", Nd4j.createFromArray(v + 4, v + 5), "b", Nd4j.createFromArray(-v, -v)));
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("w", new long[] {2, 3});
        shapes.put("b", new long[] {2});
        s.commit(step, shapes, List.of(Map.of("w", new int[] {0, 4}), Map.of("w", new int[] {4, 6}, "b", new int[] {0, 2})),
                List.of(SliceDigest.fromFloats(first.toFloats()), second), json.createObjectNode().put("data_position", step * 10));
    }

    private Path slice(long step, int i) {
        return tmp.resolve(String.format("step-%09d/slice-%05d-of-00002.safetensors", step, i));
    }

    @Test
    void tensorsComeBackWholeByNameFromTheSlicesWithTheirState() throws Exception {
        CheckpointStore s = store(3);
        writeStep(s, 5);
        Checkpoint c = s.newestUsable(warnings::add).orElseThrow();
        assertEquals(5, c.step());
        assertArrayEquals(new float[] {5, 6, 7, 8, 9, 10}, c.tensors().get("w"));
        assertArrayEquals(new float[] {-5, -5}, c.tensors().get("b"));
        assertArrayEquals(new long[] {2, 3}, c.shapes().get("w"));
        assertEquals(50, c.state().path("data_position").asLong());
        assertEquals(List.of(), warnings);
    }

    @Test
    void uncommittedStepIsInvisibleAndCleanedUpByTheNextCommit() throws Exception {
        CheckpointStore s = store(3);
        writeStep(s, 1);
        SliceDigest written = s.writeSlice(2, 0, 2, Map.of("w", Nd4j.zeros(4)));
        assertEquals(List.of(1L), s.committedSteps(), "a step without its manifest is not a checkpoint");
        assertThrows(IOException.class, () -> s.commit(2, Map.of("w", new long[] {6}),
                List.of(Map.of("w", new int[] {0, 4}), Map.of("w", new int[] {4, 6})), List.of(written, written),
                json.createObjectNode()), "slice 1 is missing");
        writeStep(s, 3);
        assertEquals(List.of(1L, 3L), s.committedSteps());
        assertFalse(Files.exists(tmp.resolve("step-000000002")), "abandoned write removed");
    }

    @Test
    void keepsOnlyTheNewestKAndNeverCountsAnUncommittedOne() throws Exception {
        CheckpointStore s = store(2);
        for (long step = 1; step <= 4; step++) {
            writeStep(s, step);
        }
        assertEquals(List.of(3L, 4L), s.committedSteps());
        s.uncommit(4);
        s.prune();
        assertEquals(List.of(3L), s.committedSteps(), "the good one stays; the taken-back one no longer counts");
    }

    @Test
    void aKillDuringTheManifestRenameLeavesNoOrphanChecksumFileAfterTheNextCommit() throws Exception {
        CheckpointStore s = store(2);
        writeStep(s, 1);
        Path orphan = tmp.resolve("step-000000001/..manifest.json.tmp.crc");
        Files.move(tmp.resolve("step-000000001/.manifest.json.crc"), orphan);
        writeStep(s, 2);
        assertFalse(Files.exists(orphan));
        assertEquals(1, s.load(1).step(), "still committed and readable without its checksum file");
    }

    /** Each fault of the newest checkpoint: skipped with a warning naming the file, and the one before it is used. */
    @Test
    void aDamagedNewestCheckpointFallsBackToTheNewestThatVerifies() throws Exception {
        Map<String, IOConsumer> faults = new LinkedHashMap<>();
        faults.put("SHA-256", dir -> flipLastByte(slice(2, 1)));
        faults.put("truncated", dir -> Files.write(slice(2, 0), java.util.Arrays.copyOf(Files.readAllBytes(slice(2, 0)), 40)));
        faults.put("slice missing", dir -> Files.delete(slice(2, 1)));
        faults.put("malformed manifest", dir -> Files.writeString(dir.resolve("manifest.json"), "{ \"format\": "));
        faults.put("non-finite", dir -> {
            CheckpointStore s = store(3);
            SliceDigest nan = s.writeSlice(2, 1, 2, Map.of("w", Nd4j.createFromArray(1f, Float.NaN), "b", Nd4j.createFromArray(0f, 0f)));
            JsonNode manifest = json.readTree(dir.resolve("manifest.json").toFile());
            ((ObjectNode) manifest.path("slices").get(1)).put("bytes", nan.bytes()).put("sha256", nan.sha256());
            json.writeValue(dir.resolve("manifest.json").toFile(), manifest);
        });
        for (Map.Entry<String, IOConsumer> fault : faults.entrySet()) {
            clip.io.LocalFiles.deleteTree(tmp);
            warnings.clear();
            CheckpointStore s = store(3);
            writeStep(s, 1);
            writeStep(s, 2);
            Path dir = tmp.resolve("step-000000002");
            fault.getValue().accept(dir);
            // The copy a tool makes drops Hadoop's side files: the manifest's digests must catch the fault alone.
            try (var files = Files.list(dir)) {
                for (Path crc : files.filter(p -> p.getFileName().toString().endsWith(".crc")).toList()) {
                    Files.delete(crc);
                }
            }
            Optional<Checkpoint> found = s.newestUsable(warnings::add);
            assertEquals(1, found.orElseThrow().step(), fault.getKey());
            assertEquals(1, warnings.size(), fault.getKey() + ": " + warnings);
            assertTrue(warnings.get(0).startsWith("warning: checkpoint step 2 is unusable (file:" + dir)
                    && warnings.get(0).contains(fault.getKey()) && !warnings.get(0).contains("\n"), warnings.get(0));
        }
    }

    @Test
    void aMissingNewestManifestMeansThePreviousCheckpoint() throws Exception {
        CheckpointStore s = store(3);
        writeStep(s, 1);
        writeStep(s, 2);
        Files.delete(tmp.resolve("step-000000002/manifest.json"));
        assertEquals(1, s.newestUsable(warnings::add).orElseThrow().step());
    }

    @Test
    void whenNoCheckpointVerifiesTheStopIsOneLineNamingEachFault() throws Exception {
        CheckpointStore s = store(3);
        writeStep(s, 1);
        writeStep(s, 2);
        flipLastByte(slice(1, 0));
        Files.delete(slice(2, 1));
        BadInputException e = assertThrows(BadInputException.class, () -> s.newestUsable(warnings::add));
        assertTrue(e.getMessage().contains(slice(1, 0).getFileName().toString()) && e.getMessage().contains(slice(2, 1).toString())
                && e.getMessage().contains("clip.train.resume = never") && !e.getMessage().contains("\n"), e.getMessage());
        clip.io.LocalFiles.deleteTree(tmp);
        assertEquals(Optional.empty(), store(3).newestUsable(warnings::add), "nothing committed: a fresh start, no error");
    }

    @Test
    void aCheckpointOfTheOldFlatFormatIsRefusedInOneLine() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("step-000000004"));
        Files.writeString(dir.resolve("manifest.json"), "{\"step\":4,\"num_shards\":1,\"shards\":[],\"state\":{\"layout\":\"w:6;\"}}");
        BadInputException e = assertThrows(BadInputException.class, () -> store(2).newestUsable(warnings::add));
        assertEquals("file:" + dir + ": a checkpoint of the old flat format,"
                + " which this version does not read; set clip.train.resume = never to start the run over", e.getMessage());
    }

    private static void flipLastByte(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        b[b.length - 1] ^= 1;
        Files.write(file, b);
    }

    private interface IOConsumer {
        void accept(Path dir) throws IOException;
    }
}
