package clip.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * cluster/netns.sh's bandwidth cap: tbf's token bucket is sized for the rate (a fixed 32 KB one
 * cut up every GSO packet and made a 10 Gbit/s step 16-35% longer in the cap's own CPU,
 * BENCHMARKS.md), and a rate the script cannot read is refused before any host is made. Needs
 * root and iproute2, as CI has.
 */
class NetnsRateIT {
    private static final Path ROOT = Paths.get("").toAbsolutePath().getParent();
    /** Unique per test JVM, and apart from NetnsClusterIT's hosts. */
    private static final String NAME = "r" + ProcessHandle.current().pid() % 1_000_000;

    private record Result(int exit, String out) {
    }

    private static Result run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), String.join(" ", command) + " hung");
        return new Result(p.exitValue(), out);
    }

    /** The bucket tbf holds on host 0, in bytes, as tc reports it. */
    private static long burstBytes(String rate) throws Exception {
        run("cluster/netns.sh", "down", "--name", NAME);
        Result up = run("cluster/netns.sh", "up", "--hosts", "1", "--name", NAME, "--rate", rate);
        try {
            assertEquals(0, up.exit(), up.out());
            String qdisc = run("ip", "netns", "exec", NAME + "-h0", "tc", "qdisc", "show", "dev", "eth0").out();
            Matcher m = Pattern.compile("burst (\\d+)(b|Kb|Mb)\\b").matcher(qdisc);
            assertTrue(m.find(), qdisc);
            return Long.parseLong(m.group(1)) * switch (m.group(2)) {
                case "Kb" -> 1024L;
                case "Mb" -> 1024L * 1024;
                default -> 1L;
            };
        } finally {
            assertEquals(0, run("cluster/netns.sh", "down", "--name", NAME).exit());
        }
    }

    @Test
    void theCapsBucketHoldsAGsoPacketAndAMillisecondAtTheRate() throws Exception {
        assertEquals("0", run("id", "-u").out().strip(), "network namespaces need root: run the integration tests as root (CI does)");
        long slow = burstBytes("20mbit");
        assertTrue(slow >= 128 * 1024 - 1024 && slow <= 128 * 1024 + 1024, "20mbit: the 128 KiB floor, got " + slow);
        long fast = burstBytes("10gbit");
        assertTrue(fast >= 1_240_000 && fast <= 1_260_000, "10gbit: 1 ms at the rate, 1.25 MB, got " + fast);
        long fractional = burstBytes("2.5gbit");
        assertTrue(fractional >= 300_000 && fractional <= 320_000, "2.5gbit: 1 ms at the rate, 312.5 KB, got " + fractional);
    }

    @Test
    void aRateTheScriptCannotReadIsRefusedBeforeAnyHostIsMade() throws Exception {
        assertEquals("0", run("id", "-u").out().strip(), "network namespaces need root: run the integration tests as root (CI does)");
        try {
            Result refused = run("cluster/netns.sh", "up", "--hosts", "2", "--name", NAME, "--rate", "2gbps");
            assertEquals(2, refused.exit(), refused.out());
            assertTrue(refused.out().strip().lines().count() == 1 && refused.out().contains("'2gbps'"), refused.out());
            assertFalse(run("ip", "netns", "list").out().contains(NAME + "-"), "no host made");
        } finally {
            run("cluster/netns.sh", "down", "--name", NAME);
        }
    }
}
