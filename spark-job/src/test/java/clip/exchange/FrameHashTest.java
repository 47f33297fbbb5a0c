package clip.exchange;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FrameHashTest {
    /** NH as its definition reads, one word pair at a time over zero-padded blocks. */
    private static ByteBuffer reference(byte[] payload, int[] key) {
        int blocks = (payload.length + FrameHash.BLOCK_BYTES - 1) / FrameHash.BLOCK_BYTES;
        ByteBuffer padded = ByteBuffer.wrap(Arrays.copyOf(payload, blocks * FrameHash.BLOCK_BYTES)).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer out = ByteBuffer.allocate(blocks * FrameHash.HASH_BYTES);
        for (int b = 0; b < blocks; b++) {
            for (int t = 0; t < 2; t++) {
                long h = 0;
                for (int j = 0; j < FrameHash.BLOCK_WORDS; j += 2) {
                    long lo = Integer.toUnsignedLong(padded.getInt((b * FrameHash.BLOCK_WORDS + j) * 4) + key[j + 4 * t]);
                    long hi = Integer.toUnsignedLong(padded.getInt((b * FrameHash.BLOCK_WORDS + j + 1) * 4) + key[j + 1 + 4 * t]);
                    h += lo * hi;
                }
                out.putLong(h);
            }
        }
        return out.flip();
    }

    /** Whichever loop runs (the Vector API's in the tests), the hash is NH's, from heap and direct buffers alike. */
    @ParameterizedTest
    @ValueSource(ints = {0, 4, 4096, 4100, 3 * 4096 + 1000})
    void theHashIsNhOverZeroPaddedBlocks(int length) {
        Random random = new Random(length);
        int[] key = random.ints(FrameHash.KEY_WORDS).toArray();
        byte[] payload = new byte[length];
        random.nextBytes(payload);
        ByteBuffer expected = reference(payload, key);
        FrameHash hash = new FrameHash(key);
        ByteBuffer direct = ByteBuffer.allocateDirect(length + 8).position(8);
        direct.duplicate().put(payload);
        for (ByteBuffer in : new ByteBuffer[] {ByteBuffer.wrap(payload), direct}) {
            ByteBuffer out = ByteBuffer.allocate(FrameHash.hashBytes(length));
            hash.hash(in, out);
            assertArrayEquals(expected.array(), out.array(), in.isDirect() ? "direct" : "heap");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 4095, 8191})
    void flippingOneBitChangesTheHash(int at) {
        Random random = new Random(at);
        int[] key = random.ints(FrameHash.KEY_WORDS).toArray();
        byte[] payload = new byte[8192];
        random.nextBytes(payload);
        FrameHash hash = new FrameHash(key);
        ByteBuffer before = ByteBuffer.allocate(FrameHash.hashBytes(payload.length));
        hash.hash(ByteBuffer.wrap(payload), before);
        payload[at] ^= 1;
        ByteBuffer after = ByteBuffer.allocate(FrameHash.hashBytes(payload.length));
        hash.hash(ByteBuffer.wrap(payload), after);
        assertFalse(Arrays.equals(before.array(), after.array()));
    }

    /** The loop JVMs without the Vector API run gives the same words, or such a worker could not talk to the others. */
    @ParameterizedTest
    @ValueSource(ints = {4096, 3 * 4096})
    void theScalarLoopGivesTheSameHash(int length) {
        Random random = new Random(length + 1);
        int[] key = random.ints(FrameHash.KEY_WORDS).toArray();
        byte[] payload = new byte[length];
        random.nextBytes(payload);
        ByteBuffer in = ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer out = ByteBuffer.allocate(FrameHash.hashBytes(length));
        for (int at = 0; at < length; at += FrameHash.BLOCK_BYTES) {
            FrameHash.scalarBlock(in, at, key, out);
        }
        assertArrayEquals(reference(payload, key).array(), out.array());
    }
}
