package clip.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Which worker failures the driver retries (issue 19: errors that cannot heal are not retried). */
class TaskFailuresTest {
    @Test
    void lostPeersAndMissedDeadlinesAreRetried() {
        TaskFailures.Failure f = TaskFailures.classify("clip.exchange.PeerFailureException",
                "worker 0: no data within the deadline from worker 1 (198.18.0.3:40000) (exchange 12)\n\tat clip...");
        assertTrue(f.retryable());
        assertEquals("worker 0: no data within the deadline from worker 1 (198.18.0.3:40000) (exchange 12)", f.message());
    }

    @Test
    void inputErrorsFullDisksAndTakenPortsAreNot() {
        assertFalse(TaskFailures.classify("clip.io.BadInputException", "shards/train/part-00003.parquet: checksum mismatch").retryable());
        assertFalse(TaskFailures.classify("java.lang.IllegalStateException",
                "worker 1: runs/x/checkpoints/step-10/slice-1.safetensors: No space left on device").retryable());
        assertFalse(TaskFailures.classify("clip.exchange.PeerFailureException",
                "worker 1: cannot listen on /127.0.0.1:7100: Address already in use").retryable());
        assertFalse(TaskFailures.classify("java.lang.IllegalStateException",
                "worker 0: config key 'clip.train.steps' must be positive, got 0").retryable());
    }
}
