package clip.testutil;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/**
 * A main class of the test class path run in a JVM of its own, for what a JVM settles once: a
 * system property read when a class initialises, how C1 and C2 compile a kernel.
 */
public final class ForkedJvm {
    private ForkedJvm() {
    }

    /** The last line {@code main} printed, once it exited 0 (else the test fails with its output). */
    public static String lastLine(List<String> jvmOptions, Class<?> main, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), output);
        String[] lines = output.strip().split("\\R");
        return lines[lines.length - 1];
    }
}
