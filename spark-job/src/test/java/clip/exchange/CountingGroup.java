package clip.exchange;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A worker's group that counts what goes through it: the messages an exchange of its size makes
 * (one to each other member per exchange, on every line and subgroup of it; over TCP the flat
 * exchanges leave out empty parts, which NettyGroup's own frame count shows) and the
 * reduce-scatters started on its side channel (the gradient buckets, started by the thread that
 * runs the backward pass).
 */
public final class CountingGroup implements Collective {
    private final Collective group;
    private final boolean side;
    public final AtomicInteger messages;
    public final AtomicInteger bucketsStarted;

    public CountingGroup(Collective group) {
        this(group, false, new AtomicInteger(), new AtomicInteger());
    }

    private CountingGroup(Collective group, boolean side, AtomicInteger messages, AtomicInteger bucketsStarted) {
        this.group = group;
        this.side = side;
        this.messages = messages;
        this.bucketsStarted = bucketsStarted;
    }

    @Override
    public int rank() {
        return group.rank();
    }

    @Override
    public int size() {
        return group.size();
    }

    private void sent() {
        messages.addAndGet(size() - 1);
    }

    @Override
    public float[][] allToAll(float[][] send) {
        sent();
        return group.allToAll(send);
    }

    // the flat exchanges as the group does them (over TCP: Netty's, without arrays)
    @Override
    public void reduceScatterSum(ByteBuffer flat, int[] bounds, ByteBuffer shard) {
        sent();
        group.reduceScatterSum(flat, bounds, shard);
    }

    @Override
    public Runnable startReduceScatterSum(ByteBuffer flat, int[] bounds, ByteBuffer shard) {
        sent();
        if (side) {
            bucketsStarted.incrementAndGet();
        }
        return group.startReduceScatterSum(flat, bounds, shard);
    }

    @Override
    public void allGather(ByteBuffer flat, int[] bounds) {
        sent();
        group.allGather(flat, bounds);
    }

    @Override
    public Collective sideChannel() {
        return new CountingGroup(group.sideChannel(), true, messages, bucketsStarted);
    }

    @Override
    public Collective subgroup(int[] members, int line) {
        return new CountingGroup(group.subgroup(members, line), side, messages, bucketsStarted);
    }
}
