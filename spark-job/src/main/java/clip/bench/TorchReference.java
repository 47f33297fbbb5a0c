package clip.bench;

import clip.io.BadInputException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Runs bench/torch_dual_step.py (Debian's python3-torch) in a child process, so every
 * benchmark figure is printed next to the PyTorch figure measured on the same machine in the
 * same run.
 */
public final class TorchReference {
    private final Path script;
    private final String python;

    public TorchReference(Path script, String python) {
        this.script = script;
        this.python = python;
    }

    /** The repository's copy ({@code $CLIP_HOME/bench/torch_dual_step.py}). */
    public static Path defaultScript() {
        String home = System.getenv().getOrDefault("CLIP_HOME", ".");
        return Path.of(home).toAbsolutePath().normalize().resolve("bench/torch_dual_step.py");
    }

    public JsonNode run(String config, int steps, int batch) throws IOException, InterruptedException {
        if (!Files.isRegularFile(script)) {
            throw new BadInputException(script + ": PyTorch reference script not found (use --torch-script, or --no-torch)");
        }
        Process p = new ProcessBuilder(List.of(python, script.toString(), config, Integer.toString(steps), Integer.toString(batch)))
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        int rc = p.waitFor();
        if (rc != 0 || out.isEmpty()) {
            throw new BadInputException(python + " " + script + " exited with " + rc
                    + " (needs Debian's python3-torch and libopenblas0-pthread)");
        }
        String last = out.substring(out.lastIndexOf('\n') + 1);
        return new ObjectMapper().readTree(last);
    }
}
