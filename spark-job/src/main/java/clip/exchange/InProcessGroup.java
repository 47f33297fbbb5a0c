package clip.exchange;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * N workers as threads of one JVM exchanging through shared memory: what local mode and the
 * equivalence tests use. A worker that does not arrive within the deadline breaks the exchange
 * for everyone, as a dead peer does on a network.
 */
public final class InProcessGroup {
    private final int size;
    private final float[][][] mailbox;
    private final CyclicBarrier barrier;
    private final long deadlineMillis;
    /** The members' side channel: its own mailboxes and barrier, so both lines can run at once (and its own side channel, a third line). */
    private final InProcessGroup side;
    /** The subgroups asked for so far, by line and members: each a group of its own, shared by its members' threads. */
    private final Map<String, InProcessGroup> subgroups = new ConcurrentHashMap<>();

    public InProcessGroup(int size, long deadlineMillis) {
        this(size, deadlineMillis, new InProcessGroup(size, deadlineMillis, new InProcessGroup(size, deadlineMillis, null)));
    }

    private InProcessGroup(int size, long deadlineMillis, InProcessGroup side) {
        this.size = size;
        this.mailbox = new float[size][size][];
        this.barrier = new CyclicBarrier(size);
        this.deadlineMillis = deadlineMillis;
        this.side = side;
    }

    public Collective member(int rank) {
        Collective.checkRank(rank, size);
        return new Collective() {
            @Override
            public int rank() {
                return rank;
            }

            @Override
            public int size() {
                return size;
            }

            @Override
            public Collective sideChannel() {
                if (side == null) {
                    throw new UnsupportedOperationException("the third line has no side channel");
                }
                return side.member(rank);
            }

            @Override
            public Collective subgroup(int[] members, int line) {
                int self = Collective.checkSubgroup(rank, size, members, line);
                return subgroups.computeIfAbsent(line + " " + Arrays.toString(members),
                        k -> new InProcessGroup(members.length, deadlineMillis)).member(self);
            }

            @Override
            public float[][] allToAll(float[][] send) {
                checkOnePerRank(send);
                mailbox[rank] = send;
                await();
                float[][] received = new float[size][];
                for (int src = 0; src < size; src++) {
                    received[src] = mailbox[src][rank];
                }
                await(); // nobody overwrites a mailbox before everyone has read it
                return received;
            }

            private void await() {
                try {
                    barrier.await(deadlineMillis, TimeUnit.MILLISECONDS);
                } catch (TimeoutException | BrokenBarrierException e) {
                    throw new PeerFailureException("worker " + rank + ": a peer did not reach the exchange within "
                            + deadlineMillis + " ms", e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new PeerFailureException("worker " + rank + ": interrupted during an exchange", e);
                }
            }
        };
    }
}
