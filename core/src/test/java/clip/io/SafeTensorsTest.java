package clip.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.testutil.Golden;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class SafeTensorsTest {
    @TempDir
    Path tmp;

    @Test
    void readsGoldenCheckpointIncludingInt64Buffers() {
        Map<String, INDArray> t = Golden.safetensors("bert/model.safetensors");
        INDArray word = t.get("embeddings.word_embeddings.weight");
        assertEquals(DataType.FLOAT, word.dataType());
        assertEquals(1000, word.size(0));
        assertEquals(DataType.LONG, t.get("embeddings.position_ids").dataType());
    }

    @Test
    void roundTripKeepsValuesAndWritesFormatMetadata() throws Exception {
        Map<String, INDArray> in = new LinkedHashMap<>();
        in.put("a.weight", Nd4j.rand(DataType.FLOAT, 3, 5));
        in.put("b", Nd4j.createFromArray(1.5, -2.0));
        in.put("ids", Nd4j.createFromArray(new long[] {7, 8, 9}));
        Path f = tmp.resolve("m.safetensors");
        SafeTensors.write(f, in);
        Map<String, INDArray> out = SafeTensors.read(f);
        assertEquals(in.keySet(), out.keySet());
        for (String k : in.keySet()) {
            assertEquals(in.get(k), out.get(k), k);
        }
        String header = new String(Files.readAllBytes(f), 8, 200, StandardCharsets.UTF_8);
        assertTrue(header.contains("\"__metadata__\":{\"format\":\"pt\"}"), header);
    }

    /**
     * The writer against an independent one: the goldens were written by Python's safetensors (0.3.1),
     * which sorts tensors by dtype and name and pads the header with spaces. Handed the same tensors
     * in the same order, ours must write the same bytes: header, offsets, dtypes and data.
     */
    @Test
    void writesTheBytesPythonsWriterWroteForTheGoldens() throws Exception {
        for (String golden : java.util.List.of("bert/model.safetensors", "dual/model.safetensors",
                "clip/train/grads.f64.safetensors", "resnet/train/buffers_after.safetensors")) {
            byte[] python = Files.readAllBytes(Golden.path(golden));
            Path ours = tmp.resolve("ours.safetensors");
            SafeTensors.write(ours, SafeTensors.read(Golden.path(golden)));
            byte[] written = Files.readAllBytes(ours);
            assertEquals(python.length, written.length, golden);
            assertTrue(java.util.Arrays.equals(python, written), golden + ": first differing byte at "
                    + java.util.Arrays.mismatch(python, written));
        }
    }

    @Test
    void readsBf16AndF16AsFloat() throws Exception {
        // 1.5 in bf16 is 0x3FC0, in f16 0x3E00; -2 is 0xC000 in both.
        String header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[4,8]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(8 + h.length + 8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        buf.putLong(h.length).put(h).putShort((short) 0x3E00).putShort((short) 0xC000)
                .putShort((short) 0x3FC0).putShort((short) 0xC000);
        Path f = tmp.resolve("half.safetensors");
        Files.write(f, buf.array());
        Map<String, INDArray> out = SafeTensors.read(f);
        assertEquals(Nd4j.createFromArray(1.5f, -2f), out.get("h"));
        assertEquals(Nd4j.createFromArray(1.5f, -2f), out.get("b"));
    }

    @Test
    void truncatedHeaderNamesTheFile() throws Exception {
        Path f = tmp.resolve("broken.safetensors");
        byte[] whole = Files.readAllBytes(Golden.path("vit/model.safetensors"));
        Files.write(f, java.util.Arrays.copyOf(whole, 100));
        BadInputException e = assertThrows(BadInputException.class, () -> SafeTensors.read(f));
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void truncatedDataNamesTheTensor() throws Exception {
        Path f = tmp.resolve("short.safetensors");
        byte[] whole = Files.readAllBytes(Golden.path("vit/model.safetensors"));
        Files.write(f, java.util.Arrays.copyOf(whole, whole.length - 10));
        BadInputException e = assertThrows(BadInputException.class, () -> SafeTensors.read(f));
        assertTrue(e.getMessage().contains("runs past the end"), e.getMessage());
    }

    @Test
    void npyRoundTripAndGoldenRead() throws Exception {
        INDArray ids = Golden.npy("bert/inputs/input_ids.npy");
        assertEquals(2, ids.rank());
        Path f = tmp.resolve("x.npy");
        INDArray x = Nd4j.rand(DataType.DOUBLE, 2, 3, 4);
        Npy.write(f, x);
        assertEquals(x, Npy.read(f));
        Npy.write(f, ids);
        assertEquals(ids, Npy.read(f));
        INDArray scalar = Golden.npy("clip/outputs/loss.npy");
        assertEquals(0, scalar.rank());
    }
}
