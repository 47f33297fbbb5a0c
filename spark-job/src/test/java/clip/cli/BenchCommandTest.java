package clip.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class BenchCommandTest {
    @Test
    void tinyStepReportsTimesMemoryAndMatmulShare() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = new Cli().register(new BenchCommand(), "no-torch", "ops")
                .run(new String[] {"bench", "--config", "tiny", "--warmup", "2", "--steps", "1", "--no-torch"}, new PrintStream(out), System.err);
        assertEquals(0, code);
        JsonNode r = new ObjectMapper().readTree(out.toString(StandardCharsets.UTF_8));
        assertEquals(9691585, r.path("params").asLong(), "same parameter count as the PyTorch reference");
        assertTrue(r.path("step_s_median").asDouble() > 0);
        assertTrue(r.path("peak_rss_mib").asLong() > 0);
        assertEquals(1, r.path("step_s_all").size(), "only the timed steps");
        assertEquals(2, r.path("warmup_steps").asInt());
    }

    @Test
    void theReferenceIsTimedOverTheSameStepsAfterTheSameWarmUp() throws Exception {
        // the script times every step after its first: the rest of the warm-up is dropped here
        JsonNode reported = new ObjectMapper().readTree("[0.9, 0.8, 0.3, 0.1, 0.2]");
        assertEquals(java.util.List.of(0.3, 0.1, 0.2), BenchCommand.lastSteps(reported, 3));
        assertThrows(IllegalStateException.class, () -> BenchCommand.lastSteps(reported, 6));
        assertEquals(10, BenchCommand.defaultWarmup(clip.bench.DualEncoderBench.Size.of("tiny")));
    }

    @Test
    void aWarmUpOfNoStepsIsRefused() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new Cli().register(new BenchCommand(), "no-torch", "ops").run(
                new String[] {"bench", "--warmup", "0", "--steps", "1", "--no-torch"},
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, code);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--warmup"), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void batchAndPartsOptionsAreApplied() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = new Cli().register(new BenchCommand(), "no-torch", "ops").run(new String[] {"bench", "--config", "tiny",
                "--batch", "4", "--parts", "2", "--warmup", "1", "--steps", "1", "--no-torch"}, new PrintStream(out), System.err);
        assertEquals(0, code);
        JsonNode r = new ObjectMapper().readTree(out.toString(StandardCharsets.UTF_8));
        assertEquals(4, r.path("batch").asInt());
        assertEquals(2, r.path("parts").asInt());
    }

    @Test
    void opsReportsEachMeasuredOperation() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(0, new Cli().register(new BenchCommand(), "no-torch", "ops")
                .run(new String[] {"bench", "--ops"}, new PrintStream(out), System.err));
        JsonNode r = new ObjectMapper().readTree(out.toString(StandardCharsets.UTF_8));
        assertEquals(10, r.size());
        r.fields().forEachRemaining(e -> assertTrue(e.getValue().asDouble() > 0, e.getKey()));
    }

    @Test
    void referenceBlasIsRefused(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path netlib = java.nio.file.Files.createDirectories(dir.resolve("blas")).resolve("libblas.so.3");
        java.nio.file.Files.writeString(netlib, "");
        java.nio.file.Path link = java.nio.file.Files.createSymbolicLink(dir.resolve("libblas.so.3"), netlib);
        clip.io.BadInputException e = org.junit.jupiter.api.Assertions.assertThrows(clip.io.BadInputException.class,
                () -> clip.bench.TorchReference.checkBlas(link));
        assertTrue(e.getMessage().contains("libopenblas0-pthread"), e.getMessage());

        java.nio.file.Path openblas = java.nio.file.Files.createDirectories(dir.resolve("openblas-pthread")).resolve("libblas.so.3");
        java.nio.file.Files.writeString(openblas, "");
        java.nio.file.Path good = java.nio.file.Files.createSymbolicLink(dir.resolve("good.so.3"), openblas);
        clip.bench.TorchReference.checkBlas(good);
        clip.bench.TorchReference.checkBlas(dir.resolve("absent.so.3"));
    }

    @Test
    void missingReferenceScriptIsNamed() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new Cli().register(new BenchCommand(), "no-torch", "ops").run(
                new String[] {"bench", "--warmup", "1", "--steps", "1", "--torch-script", "/nowhere/torch_dual_step.py"},
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, code);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("/nowhere/torch_dual_step.py"));
    }
}
