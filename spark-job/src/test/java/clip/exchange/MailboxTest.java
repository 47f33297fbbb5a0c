package clip.exchange;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A peer that hangs up fails the exchanges that still wait for its data, and only those. */
class MailboxTest {
    private static final int[] BOUNDS = {0, 2, 4, 6};
    private static final long EXCHANGE = 7;

    private static ByteBuf floats(float a, float b) {
        return Unpooled.buffer(8).order(ByteOrder.LITTLE_ENDIAN).writeFloatLE(a).writeFloatLE(b);
    }

    private static ByteBuffer flat() {
        return ByteBuffer.allocate(6 * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static void await(Mailbox mailbox, ByteBuffer flat) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        mailbox.await(EXCHANGE, new PlacedChunks(flat, BOUNDS, 0), 0, 3, deadline, peer -> "worker " + peer);
    }

    /**
     * Worker 1 sends its part and closes its group (its own last exchange is done) while worker 0
     * still waits for worker 2's part: the end of every run with three or more workers.
     */
    @Test
    void aPeerThatHungUpAfterSendingDoesNotFailTheWaitForAnother() throws Exception {
        Mailbox mailbox = new Mailbox();
        ByteBuffer flat = flat();
        mailbox.receive(1, EXCHANGE, 0, 2, floats(3, 4));
        mailbox.failPeer(1, "the connection from worker 1 closed");
        Thread waiting = new Thread(() -> await(mailbox, flat));
        CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        waiting.setUncaughtExceptionHandler((t, e) -> outcome.complete(e));
        waiting.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (waiting.getState() != Thread.State.TIMED_WAITING && waiting.isAlive()) {
            assertTrue(System.nanoTime() < deadline, "the exchange began waiting for worker 2");
            Thread.onSpinWait();
        }
        mailbox.receive(2, EXCHANGE, 0, 2, floats(5, 6));
        waiting.join(TimeUnit.SECONDS.toMillis(20));
        assertTrue(!outcome.isDone(), () -> "the exchange failed: " + outcome.join());
        float[] got = new float[2];
        flat.position(4 * Float.BYTES);
        flat.asFloatBuffer().get(got);
        assertArrayEquals(new float[] {5, 6}, got);
    }

    @Test
    void aPeerThatHungUpBeforeSendingFailsTheExchangeNamingIt() {
        Mailbox mailbox = new Mailbox();
        mailbox.receive(1, EXCHANGE, 0, 2, floats(3, 4));
        mailbox.failPeer(2, "the connection from worker 2 closed");
        PeerFailureException e = assertThrows(PeerFailureException.class, () -> await(mailbox, flat()));
        assertTrue(e.getMessage().contains("worker 0: the connection from worker 2 closed"), e.getMessage());
    }
}
