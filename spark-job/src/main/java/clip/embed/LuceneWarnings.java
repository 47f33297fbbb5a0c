package clip.embed;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Lucene says once, on the terminal, that Java 17 is too old for its vectorised distances (it wants
 * 21; bin/clip enables the Vector API for the model's own kernels, which is what Lucene notices).
 * Nothing can be done about it here, so it is not said.
 */
final class LuceneWarnings {
    /** Held here: java.util.logging keeps only weak references to loggers, and a collected one forgets its level. */
    private static final Logger VECTORIZATION = Logger.getLogger("org.apache.lucene.internal.vectorization.VectorizationProvider");

    private LuceneWarnings() {
    }

    /** Call before the first use of Lucene. */
    static void silenceJavaVersionNotice() {
        VECTORIZATION.setLevel(Level.SEVERE);
    }
}
