package clip.io;

import java.io.IOException;

/**
 * A failed write as one line naming the file. The JDK's and Hadoop's errors for a full disk say
 * only "No space left on device" (Hadoop's local file system even wraps it in an Error), which
 * leaves the user to guess which of a run's folders filled up.
 */
public final class WriteFailure {
    private WriteFailure() {
    }

    /** @param file what was being written (a java.nio or Hadoop path) */
    public static IOException naming(Object file, Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String why = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage().lines().findFirst().orElse("");
        return new IOException("could not write " + file + ": " + why, failure);
    }
}
