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

    /** Where Debian's dynamic loader finds {@code libblas.so.3}, the library python3-torch's products call. */
    public static final Path DEBIAN_LIBBLAS = Path.of("/usr/lib/x86_64-linux-gnu/libblas.so.3");

    /**
     * Refuses a reference that would run on the reference (netlib) BLAS or a single-threaded one:
     * Debian's python3-torch calls whatever {@code libblas.so.3} the alternatives system points to,
     * and without libopenblas0-pthread that is the reference BLAS, about 15x slower, which would
     * make any ratio against it meaningless. A machine without that file (not Debian) is not checked.
     */
    public static void checkBlas(Path libblas) throws IOException {
        if (!Files.exists(libblas)) {
            return;
        }
        Path real = libblas.toRealPath();
        if (!real.toString().contains("openblas-pthread")) {
            throw new BadInputException(libblas + " resolves to " + real + ", not OpenBLAS with threads: PyTorch would run"
                    + " on it many times slower (apt-get install libopenblas0-pthread, or --no-torch)");
        }
    }

    public JsonNode run(String config, int steps, int batch) throws IOException, InterruptedException {
        if (!Files.isRegularFile(script)) {
            throw new BadInputException(script + ": PyTorch reference script not found (use --torch-script, or --no-torch)");
        }
        checkBlas(DEBIAN_LIBBLAS);
        ProcessBuilder builder = new ProcessBuilder(List.of(python, script.toString(), config, Integer.toString(steps),
                Integer.toString(batch))).redirectError(ProcessBuilder.Redirect.INHERIT);
        // bin/clip sets glibc's mmap threshold for this JVM; inherited, it made PyTorch's step 1.8x
        // slower (every large tensor a fresh mapping) and its peak RSS a quarter lower.
        builder.environment().remove("MALLOC_MMAP_THRESHOLD_");
        Process p = builder.start();
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
