package clip.exchange;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntFunction;

/**
 * Chunks arriving from peers, handed per exchange to the {@link ChunkSink} that uses them.
 * Exchanges are numbered the same on every worker (all call the collectives in the same order),
 * so a fast peer's next exchange can arrive before this worker has begun it without being
 * confused with the current one: its chunks wait, in their network buffers, for their sink.
 */
final class Mailbox {
    private final Map<Long, Slot> slots = new HashMap<>();
    private String failure;
    /** Peers whose connection closed or failed, and why. */
    private final Map<Integer, String> gone = new TreeMap<>();

    private record Chunk(int src, int offset, int total, ByteBuf floats) {
    }

    private static final class Slot {
        ChunkSink sink;
        final List<Chunk> early = new ArrayList<>();
    }

    /** An authenticated chunk of {@code src}'s floats for exchange {@code exchange}; retained if kept. */
    synchronized void receive(int src, long exchange, int offset, int total, ByteBuf floats) {
        Slot slot = slots.computeIfAbsent(exchange, k -> new Slot());
        if (slot.sink == null) {
            slot.early.add(new Chunk(src, offset, total, floats.retain()));
            return;
        }
        deliver(slot.sink, src, offset, total, floats);
        if (slot.sink.complete()) {
            notifyAll(); // not at every chunk: the waiting worker would wake, look and sleep hundreds of times an exchange
        }
    }

    private void deliver(ChunkSink sink, int src, int offset, int total, ByteBuf floats) {
        String wrong = sink.accept(src, offset, total, floats);
        if (wrong != null) {
            fail("worker " + src + " sent " + wrong);
        }
    }

    /**
     * A peer's connection closed or failed: every pending or later exchange that still waits for
     * data from it fails with this reason. Exchanges that have all of its data do not: a worker
     * closes its group once its own last exchange is done, while a peer may still wait for a
     * third worker's data, and failing that peer too made the end of a run with three or more
     * workers fail at random (BENCHMARKS.md, "Four hosts again").
     */
    synchronized void failPeer(int peer, String why) {
        gone.putIfAbsent(peer, why);
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
     * Runs exchange {@code exchange} into {@code sink} and waits until the sink has everything.
     *
     * @param describePeer names a peer in errors (its rank and address)
     */
    synchronized void await(long exchange, ChunkSink sink, int self, int size, long deadlineNanos, IntFunction<String> describePeer) {
        Slot slot = slots.computeIfAbsent(exchange, k -> new Slot());
        slot.sink = sink;
        try {
            sink.start();
            for (Chunk c : slot.early) {
                try {
                    deliver(sink, c.src(), c.offset(), c.total(), c.floats());
                } finally {
                    c.floats().release();
                }
            }
            slot.early.clear();
            // Data that fully arrived counts even after a peer hung up: it closes once it has sent its last exchange.
            while (!sink.complete()) {
                if (failure != null) {
                    throw new PeerFailureException("worker " + self + ": " + failure, null);
                }
                String lost = lostPeer(sink);
                if (lost != null) {
                    throw new PeerFailureException("worker " + self + ": " + lost, null);
                }
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    throw new PeerFailureException("worker " + self + ": no data within the deadline from "
                            + missing(sink, size, describePeer) + " (exchange " + exchange + ")", null);
                }
                try {
                    wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new PeerFailureException("worker " + self + ": interrupted during exchange " + exchange, e);
                }
            }
        } finally {
            slots.remove(exchange);
            sink.release();
        }
    }

    /** Why the first peer this sink still waits for is gone, or null if none of them is. */
    private String lostPeer(ChunkSink sink) {
        for (Map.Entry<Integer, String> e : gone.entrySet()) {
            if (sink.waitsFor(e.getKey())) {
                return e.getValue();
            }
        }
        return null;
    }

    private static String missing(ChunkSink sink, int size, IntFunction<String> describePeer) {
        List<String> out = new ArrayList<>();
        for (int src = 0; src < size; src++) {
            if (sink.waitsFor(src)) {
                out.add(describePeer.apply(src));
            }
        }
        return String.join(", ", out);
    }

    /** Gives back the buffers of chunks that no exchange will take (the group is closing). */
    synchronized void close() {
        for (Slot slot : slots.values()) {
            slot.early.forEach(c -> c.floats().release());
            slot.early.clear();
        }
    }
}
