package clip.testutil;

import clip.io.Npy;
import clip.io.SafeTensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Locates the reference outputs kept in the repository ({@code testdata/golden/}: system property
 * {@code golden.dir}, else found from the working directory upwards) and loads from them.
 */
public final class Golden {
    private Golden() {
    }

    public static Path dir() {
        String prop = System.getProperty("golden.dir");
        if (prop != null && Files.isDirectory(Paths.get(prop))) {
            return Paths.get(prop).toAbsolutePath().normalize();
        }
        for (Path p = Paths.get("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolve("testdata/golden");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("testdata/golden not found from " + Paths.get("").toAbsolutePath()
                + ": run the tests from the checkout, or set -Dgolden.dir");
    }

    public static Path path(String relative) {
        return dir().resolve(relative);
    }

    public static INDArray npy(String relative) {
        return Npy.read(path(relative));
    }

    public static Map<String, INDArray> safetensors(String relative) {
        return SafeTensors.read(path(relative));
    }

    /** A float64 reference derived from the goldens ({@code testdata/torch-f64/}, see its README). */
    public static Map<String, INDArray> torchF64(String relative) {
        return SafeTensors.read(dir().resolveSibling("torch-f64").resolve(relative));
    }
}
