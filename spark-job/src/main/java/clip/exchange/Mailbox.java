package clip.exchange;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Arrays arriving from peers, assembled per exchange from their chunks. Exchanges are numbered
 * the same on every worker (all call the collective in the same order), so a fast peer's next
 * exchange can arrive before this worker has finished the current one without being confused
 * with it.
 */
final class Mailbox {
    private final int size;
    private final Map<Long, Slot> slots = new HashMap<>();
    private String failure;

    private final class Slot {
        final float[][] arrays = new float[size][];
        final int[] filled = new int[size];

        boolean complete(int self) {
            for (int src = 0; src < size; src++) {
                if (src != self && (arrays[src] == null || filled[src] < arrays[src].length)) {
                    return false;
                }
            }
            return true;
        }
    }

    Mailbox(int size) {
        this.size = size;
    }

    /** A chunk of {@code src}'s array for exchange {@code exchange}: floats at {@code offset} of {@code total}. */
    synchronized void receive(int src, long exchange, int offset, int total, ByteBuffer floats) {
        Slot slot = slots.computeIfAbsent(exchange, k -> new Slot());
        if (slot.arrays[src] == null) {
            slot.arrays[src] = new float[total];
        }
        int n = floats.remaining() / Float.BYTES;
        if (slot.arrays[src].length != total || offset < 0 || offset + n > total) {
            fail("worker " + src + " sent a malformed chunk (offset " + offset + ", " + n + " of " + total + " floats)");
            return;
        }
        floats.asFloatBuffer().get(slot.arrays[src], offset, n);
        slot.filled[src] += n;
        notifyAll();
    }

    /** Every later or pending exchange fails with this reason, once what has fully arrived is used up. */
    synchronized void fail(String why) {
        if (failure == null) {
            failure = why;
        }
        notifyAll();
    }

    /**
     * Waits for every peer's array of exchange {@code exchange}.
     *
     * @param describePeer names a peer in errors (its rank and address)
     */
    synchronized float[][] await(long exchange, int self, long deadlineNanos, java.util.function.IntFunction<String> describePeer) {
        Slot slot = slots.computeIfAbsent(exchange, k -> new Slot());
        // Data that fully arrived counts even after a peer hung up: it closes once it has sent its last exchange.
        while (!slot.complete(self)) {
            if (failure != null) {
                throw new PeerFailureException("worker " + self + ": " + failure, null);
            }
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) {
                throw new PeerFailureException("worker " + self + ": no data within the deadline from " + missing(slot, self, describePeer)
                        + " (exchange " + exchange + ")", null);
            }
            try {
                wait(Math.max(1, left / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new PeerFailureException("worker " + self + ": interrupted during exchange " + exchange, e);
            }
        }
        slots.remove(exchange);
        return slot.arrays;
    }

    private String missing(Slot slot, int self, java.util.function.IntFunction<String> describePeer) {
        List<String> out = new ArrayList<>();
        for (int src = 0; src < size; src++) {
            if (src != self && (slot.arrays[src] == null || slot.filled[src] < slot.arrays[src].length)) {
                out.add(describePeer.apply(src));
            }
        }
        return String.join(", ", out);
    }
}
