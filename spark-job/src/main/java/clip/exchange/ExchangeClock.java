package clip.exchange;

import java.nio.ByteBuffer;
import java.util.function.Supplier;

/**
 * A group that keeps the wall time its exchanges take (sending, and waiting for the peers), so
 * a training step can report how long it spent gathering embeddings and in the parameter server.
 * The time includes waiting for slower peers: it is what the exchange costs this worker.
 */
public final class ExchangeClock implements Collective {
    private final Collective group;
    private long nanos;

    public ExchangeClock(Collective group) {
        this.group = group;
    }

    @Override
    public int rank() {
        return group.rank();
    }

    @Override
    public int size() {
        return group.size();
    }

    @Override
    public float[][] allToAll(float[][] send) {
        return timed(() -> group.allToAll(send));
    }

    // the array collectives as the group does them (the two-level exchange: in two hops, not through allToAll)
    @Override
    public float[][] allGather(float[] local) {
        return timed(() -> group.allGather(local));
    }

    @Override
    public float[] reduceScatterSum(float[][] send) {
        return timed(() -> group.reduceScatterSum(send));
    }

    @Override
    public void reduceScatterSum(ByteBuffer flat, int[] bounds, ByteBuffer shard) {
        timed(() -> {
            group.reduceScatterSum(flat, bounds, shard);
            return null;
        });
    }

    @Override
    public void allGather(ByteBuffer flat, int[] bounds) {
        timed(() -> {
            group.allGather(flat, bounds);
            return null;
        });
    }

    private <T> T timed(Supplier<T> exchange) {
        long start = System.nanoTime();
        try {
            return exchange.get();
        } finally {
            nanos += System.nanoTime() - start;
        }
    }

    /** Not clocked: its exchanges run behind the backward pass; what the step waits for them it clocks itself. */
    @Override
    public Collective sideChannel() {
        return group.sideChannel();
    }

    /** Seconds spent in exchanges since the last call. */
    public double lap() {
        double s = nanos / 1e9;
        nanos = 0;
        return s;
    }
}
