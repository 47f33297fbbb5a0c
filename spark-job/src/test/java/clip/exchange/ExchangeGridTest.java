package clip.exchange;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Collections;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ExchangeGridTest {
    private static List<String> ownHosts(int n) {
        return IntStream.range(0, n).mapToObj(r -> "10.0.0." + r).toList();
    }

    @Test
    void oneWorkerPerHostGetsANearSquareGridOfRanks() {
        ExchangeGrid g = ExchangeGrid.of(ownHosts(16));
        assertEquals(4, g.groups());
        assertEquals(4, g.groupSize());
        assertArrayEquals(new int[] {1, 5, 9, 13}, g.group(1));
        assertArrayEquals(new int[] {4, 5, 6, 7}, g.column(1), "the workers at one place are consecutive ranks");
        assertEquals(6, g.messages());
        ExchangeGrid six = ExchangeGrid.of(ownHosts(6));
        assertEquals(3, six.groups());
        assertEquals(2, six.groupSize());
        ExchangeGrid many = ExchangeGrid.nearSquare(512);
        assertEquals(32 * 16, many.workers());
        assertEquals(15 + 31, many.messages(), "instead of 511");
        ExchangeGrid prime = ExchangeGrid.nearSquare(7);
        assertEquals(1, prime.groupSize(), "a prime number of workers: groups of one, the mesh");
        assertEquals(6, prime.messages());
    }

    @Test
    void workersSharingHostsAreGroupedByHost() {
        ExchangeGrid g = ExchangeGrid.of(List.of("a", "b", "a", "b", "b", "a"));
        assertEquals(2, g.groups());
        assertArrayEquals(new int[] {0, 2, 5}, g.group(0));
        assertArrayEquals(new int[] {1, 3, 4}, g.group(1));
        assertEquals(1, g.groupOf(4));
        assertEquals(2, g.placeOf(4));
        assertArrayEquals(new int[] {5, 4}, g.column(2));
    }

    @Test
    void oneHostOrUnevenHostsFallBackToTheNearSquareGrid() {
        assertArrayEquals(ExchangeGrid.nearSquare(4).group(0), ExchangeGrid.of(Collections.nCopies(4, "localhost")).group(0));
        ExchangeGrid uneven = ExchangeGrid.of(List.of("a", "a", "a", "b", "b", "c"));
        assertArrayEquals(new int[] {0, 3}, uneven.group(0));
        assertEquals(3, uneven.groups());
    }

    @Test
    void aGridMustHoldEveryRankOnceInGroupsOfOneSize() {
        assertThrows(IllegalArgumentException.class, () -> new ExchangeGrid(new int[][] {{0, 1}, {2}}));
        assertThrows(IllegalArgumentException.class, () -> new ExchangeGrid(new int[][] {{0, 1}, {1, 3}}));
        assertThrows(IllegalArgumentException.class, () -> new ExchangeGrid(new int[][] {{0, 4}, {1, 2}}));
    }
}
