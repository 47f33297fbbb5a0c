package clip.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/** The JSON-lines logs of a run, made to agree with the step training resumes from. */
final class RunLogs {
    private static final ObjectMapper JSON = new ObjectMapper();

    private RunLogs() {
    }

    /**
     * Drops the lines past {@code step} (a fresh run, step 0, drops all): steps an interrupted
     * run logged after its last checkpoint are taken again, and must not appear twice.
     */
    static void keepThrough(Path log, long step) throws IOException {
        if (!Files.exists(log)) {
            return;
        }
        List<String> kept = new ArrayList<>();
        for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
            if (!line.isBlank() && step > 0 && JSON.readTree(line).path("step").asLong(Long.MAX_VALUE) <= step) {
                kept.add(line);
            }
        }
        Path tmp = log.resolveSibling(log.getFileName() + ".tmp");
        Files.write(tmp, kept, StandardCharsets.UTF_8);
        Files.move(tmp, log, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
