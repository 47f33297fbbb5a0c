package clip.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
                .run(new String[] {"bench", "--config", "tiny", "--steps", "1", "--no-torch"}, new PrintStream(out), System.err);
        assertEquals(0, code);
        JsonNode r = new ObjectMapper().readTree(out.toString(StandardCharsets.UTF_8));
        assertEquals(9691585, r.path("params").asLong(), "same parameter count as the PyTorch reference");
        assertTrue(r.path("step_s_median").asDouble() > 0);
        assertTrue(r.path("peak_rss_mib").asLong() > 0);
        assertEquals(1, r.path("step_s_all").size());
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
    void missingReferenceScriptIsNamed() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new Cli().register(new BenchCommand(), "no-torch", "ops").run(
                new String[] {"bench", "--steps", "1", "--torch-script", "/nowhere/torch_dual_step.py"},
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, code);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("/nowhere/torch_dual_step.py"));
    }
}
