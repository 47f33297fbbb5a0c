package clip.train;

import clip.io.WriteFailure;
import com.fasterxml.jackson.core.JsonProcessingException;
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
     * Keeps the complete lines up to {@code step} (a fresh run, step 0, keeps none): steps an
     * interrupted run logged after its last checkpoint are taken again and must not appear
     * twice, and a line a kill cut short (the last one, without its newline) is dropped, so a
     * crash during an append never stops the run from resuming.
     */
    static void keepThrough(Path log, long step) throws IOException {
        if (!Files.exists(log)) {
            return;
        }
        String text = Files.readString(log, StandardCharsets.UTF_8);
        List<String> kept = new ArrayList<>();
        int end = text.lastIndexOf('\n') + 1;
        for (String line : text.substring(0, end).split("\n")) {
            if (step > 0 && !line.isBlank() && stepOf(line) <= step) {
                kept.add(line);
            }
        }
        Path tmp = log.resolveSibling(log.getFileName() + ".tmp");
        try {
            Files.write(tmp, kept, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw WriteFailure.naming(tmp, e);
        }
        Files.move(tmp, log, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** A line's step; a line that does not parse (damaged) sorts last, so it is dropped. */
    private static long stepOf(String line) {
        try {
            return JSON.readTree(line).path("step").asLong(Long.MAX_VALUE);
        } catch (JsonProcessingException e) {
            return Long.MAX_VALUE;
        }
    }
}
