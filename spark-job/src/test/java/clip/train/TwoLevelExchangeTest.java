package clip.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.config.ConfigLoader;
import clip.exchange.Collective;
import clip.exchange.CountingGroup;
import clip.exchange.ExchangeClock;
import clip.exchange.ExchangeGrid;
import clip.exchange.TwoLevelExchange;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The two-level exchange keeps the mesh's contract (worker r gets the sum of everyone's part r,
 * then every worker every part; the same for arrays), adds each group's members in order and then the groups in
 * order, bit for bit, and sends (L-1)+(G-1) messages per collective instead of N-1: in shared
 * memory and over TCP, on grids whose parts lie in rank order and on one that must lay them out.
 */
class TwoLevelExchangeTest {
    /** {@code dist.exchange}: mesh never, two-level from two workers, auto from {@link TrainConfig.Dist#AUTO_TWO_LEVEL}. */
    @Test
    void theConfiguredExchangeDecidesWhenTwoHopsAreTaken() {
        assertEquals(TrainConfig.Exchange.MESH, exchange(List.of()), "the default");
        assertEquals(TrainConfig.Exchange.AUTO, exchange(List.of("dist.exchange=auto")));
        assertEquals(TrainConfig.Exchange.TWO_LEVEL, exchange(List.of("dist.exchange=two-level")));
        assertFalse(dist(64, TrainConfig.Exchange.MESH).twoLevel());
        assertFalse(dist(1, TrainConfig.Exchange.TWO_LEVEL).twoLevel(), "a lone worker exchanges nothing");
        assertTrue(dist(2, TrainConfig.Exchange.TWO_LEVEL).twoLevel());
        assertFalse(dist(TrainConfig.Dist.AUTO_TWO_LEVEL - 1, TrainConfig.Exchange.AUTO).twoLevel());
        assertTrue(dist(TrainConfig.Dist.AUTO_TWO_LEVEL, TrainConfig.Exchange.AUTO).twoLevel());
    }

    private static TrainConfig.Exchange exchange(List<String> overrides) {
        return TrainConfig.from(new ConfigLoader().load("tiny", overrides, Map.of())).dist().exchange();
    }

    private static TrainConfig.Dist dist(int workers, TrainConfig.Exchange exchange) {
        return new TrainConfig.Dist(workers, 60_000, 0, TrainConfig.Engine.AUTO, "", 0, 25, exchange, true, TrainConfig.Update.SHARDED);
    }

    @ParameterizedTest(name = "hosts {0}, TCP={1}")
    @CsvSource({"a b c d,false", "a b c d e f,false", "a a b b a b,false", "a b c d e f,true", "a a b b a b,true",
            "a b c d e f g,false"})
    void sumsEachGroupThenTheGroupsAndGathersEveryPart(String hostList, boolean overTcp) throws Exception {
        List<String> hosts = List.of(hostList.split(" "));
        int n = hosts.size();
        ExchangeGrid grid = ExchangeGrid.of(hosts);
        int[] bounds = new int[n + 1];
        for (int r = 0; r < n; r++) {
            bounds[r + 1] = bounds[r] + (r == 1 ? 0 : 40 + 37 * r); // uneven parts, one empty; several 64-float frames over TCP
        }
        float[][] inputs = new float[n][];
        for (int r = 0; r < n; r++) {
            Random rnd = new Random(r);
            inputs[r] = new float[bounds[n]];
            for (int i = 0; i < inputs[r].length; i++) {
                inputs[r][i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(7) - 3)); // magnitudes that make the order show
            }
        }
        List<Collective> members = overTcp ? DataParallelEquivalenceTest.overTcp(n) : DataParallelEquivalenceTest.inProcess(n);
        List<float[][]> results = DataParallelEquivalenceTest.eachWorker(members, member -> {
            CountingGroup counted = new CountingGroup(member);
            Collective c = new ExchangeClock(new TwoLevelExchange(counted, grid)); // as a training step holds it
            int r = c.rank();
            ByteBuffer flat = direct(inputs[r]);
            ByteBuffer shard = ByteBuffer.allocateDirect((bounds[r + 1] - bounds[r]) * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            c.reduceScatterSum(flat, bounds, shard);
            float[] sum = floats(shard);
            ByteBuffer gathered = direct(new float[bounds[n] + 3]); // room to spare: only the parts are touched
            gathered.slice(bounds[r] * Float.BYTES, sum.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(sum);
            c.allGather(gathered, bounds);
            float[][] send = new float[n][];
            for (int s = 0; s < n; s++) {
                send[s] = Arrays.copyOfRange(inputs[r], bounds[s], bounds[s + 1]);
            }
            float[] sumOfArrays = c.reduceScatterSum(send);
            float[][] arrays = c.allGather(Arrays.copyOf(inputs[r], 5 + 3 * r)); // of different lengths
            for (int s = 0; s < n; s++) {
                assertArrayEquals(Arrays.copyOf(inputs[s], 5 + 3 * s), arrays[s], "worker " + r + " got worker " + s + "'s array");
            }
            return new float[][] {sum, floats(gathered), {counted.messages.get()}, sumOfArrays};
        });
        float[] everyPart = new float[bounds[n] + 3];
        for (int r = 0; r < n; r++) {
            float[] expected = new float[bounds[r + 1] - bounds[r]];
            for (int i = 0; i < expected.length; i++) {
                float across = 0;
                for (int g = 0; g < grid.groups(); g++) {
                    float within = 0;
                    for (int member : grid.group(g)) {
                        within += inputs[member][bounds[r] + i];
                    }
                    across += within;
                }
                expected[i] = across;
            }
            assertArrayEquals(expected, results.get(r)[0], "worker " + r + "'s sums, bit for bit");
            assertArrayEquals(expected, results.get(r)[3], "worker " + r + "'s sums of arrays, bit for bit");
            System.arraycopy(expected, 0, everyPart, bounds[r], expected.length);
        }
        for (int r = 0; r < n; r++) {
            assertArrayEquals(everyPart, results.get(r)[1], "worker " + r + " has every part");
            assertEquals(4 * grid.messages(), (int) results.get(r)[2][0], "messages of worker " + r + " in four collectives");
        }
        assertTrue(grid.messages() < n - 1 || grid.groupSize() == 1, grid + ": fewer messages than the mesh's " + (n - 1));
    }

    private static ByteBuffer direct(float[] values) {
        ByteBuffer b = ByteBuffer.allocateDirect(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return b;
    }

    private static float[] floats(ByteBuffer b) {
        float[] out = new float[b.capacity() / Float.BYTES];
        b.duplicate().order(ByteOrder.LITTLE_ENDIAN).rewind().asFloatBuffer().get(out);
        return out;
    }
}
