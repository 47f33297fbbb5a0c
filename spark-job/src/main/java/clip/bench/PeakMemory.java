package clip.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Peak resident set size of this process (VmHWM), the figure comparable to the PyTorch
 * reference's ru_maxrss: it counts ND4J's off-heap buffers, which the JVM heap figures miss.
 */
public final class PeakMemory {
    private PeakMemory() {
    }

    public static long peakRssMib() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
