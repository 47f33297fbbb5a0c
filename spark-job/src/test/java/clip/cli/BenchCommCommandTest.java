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

    /** Both exchanges in one run: the same bytes, 2·(2-1+2-1) = 4 messages per worker per step on a 2x2 grid instead of 6. */
    @Test
    void runsTheMeshAndTheTwoLevelExchangeInTurn() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new Cli().register(new BenchCommCommand()).run(new String[] {"bench-comm", "--workers", "4", "--params", "40000",
                "--rounds", "1", "--exchange", "both"}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String printed = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
        assertTrue(printed.contains("mesh: best step") && printed.contains("6 messages per worker per step"), printed);
        assertTrue(printed.contains("two-level (2 groups of 2): best step") && printed.contains("4 messages per worker per step"), printed);
        assertEquals(2, printed.lines().filter(l -> l.contains("each worker sent and received 0.2 MB")).count(), printed);
        assertEquals(2, new Cli().register(new BenchCommCommand()).run(new String[] {"bench-comm", "--exchange", "ring"},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8)));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--exchange must be mesh, two-level or both"), err.toString());
    }
}
