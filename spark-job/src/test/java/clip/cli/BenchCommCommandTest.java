package clip.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class BenchCommCommandTest {
    @Test
    void reportsTheStepTimeAndTheBytesEachWorkerMoves() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new Cli().register(new BenchCommCommand()).run(new String[] {"bench-comm", "--workers", "3", "--params", "300000",
                "--rounds", "1"}, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        String printed = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
        // 2 * (P / N) * (N - 1) floats of 4 bytes = 1.6 MB
        assertTrue(printed.contains("3 workers, 300,000 parameters") && printed.contains("each worker sent and received 1.6 MB"),
                printed);
    }
}
