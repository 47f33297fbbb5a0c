package clip.exchange;

import clip.layers.VectorMath;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * NH, the universal hash at the heart of UMAC (Black, Halevi, Krawczyk, Krovetz and Rogaway,
 * 1999; RFC 4418): it compresses a frame's payload under a secret key 256-fold, so that the
 * HMAC-SHA256 that authenticates the frame ({@link FrameMac}) runs over 16 bytes per 4 KB
 * instead of over every byte. Per block of {@value #BLOCK_BYTES} bytes (1024 little-endian
 * 32-bit words m, the last block zero-padded) and each of two Toeplitz-shifted keys t = 0, 1:
 * <pre>
 *   h_t = sum over j of ((m[2j] + k[2j + 4t]) mod 2^32) * ((m[2j+1] + k[2j+1 + 4t]) mod 2^32)  mod 2^64
 * </pre>
 * Two different blocks collide under a random key with probability at most 2^-32 per key,
 * 2^-64 for the pair (UMAC-64's bound), which is the chance that an altered frame passes.
 * Integer sums are exact, so the Vector API kernel and the scalar loop give the same words.
 */
final class FrameHash {
    static final int BLOCK_BYTES = 4096;
    static final int BLOCK_WORDS = BLOCK_BYTES / Integer.BYTES;
    /** Key words: one block plus the shift of the second key. */
    static final int KEY_WORDS = BLOCK_WORDS + 4;
    /** Hash bytes per block: two 64-bit sums. */
    static final int HASH_BYTES = 2 * Long.BYTES;
    private static final boolean VECTOR = VectorMath.moduleLoaded();

    private final int[] key;
    private final ByteBuffer padded = ByteBuffer.allocate(BLOCK_BYTES).order(ByteOrder.LITTLE_ENDIAN);

    FrameHash(int[] key) {
        if (key.length != KEY_WORDS) {
            throw new IllegalArgumentException("NH needs " + KEY_WORDS + " key words, got " + key.length);
        }
        this.key = key.clone();
    }

    /** Bytes of the hash of {@code length} payload bytes. */
    static int hashBytes(int length) {
        return (length + BLOCK_BYTES - 1) / BLOCK_BYTES * HASH_BYTES;
    }

    /** Appends the hash of {@code payload}'s remaining bytes (a multiple of 4) to {@code out}; leaves payload as it was. */
    void hash(ByteBuffer payload, ByteBuffer out) {
        ByteBuffer in = payload.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int start = in.position();
        int full = in.remaining() / BLOCK_BYTES * BLOCK_BYTES;
        for (int at = start; at < start + full; at += BLOCK_BYTES) {
            block(in, at, out);
        }
        int tail = in.remaining() - full;
        if (tail > 0) {
            padded.put(0, in, start + full, tail);
            java.util.Arrays.fill(padded.array(), tail, BLOCK_BYTES, (byte) 0);
            block(padded, 0, out);
        }
    }

    private void block(ByteBuffer in, int at, ByteBuffer out) {
        if (VECTOR) {
            ExchangeKernels.hashBlock(in, at, key, out);
        } else {
            scalarBlock(in, at, key, out);
        }
    }

    /** One block without the Vector API (little-endian {@code in}). */
    static void scalarBlock(ByteBuffer in, int at, int[] key, ByteBuffer out) {
        long h0 = 0;
        long h1 = 0;
        for (int j = 0; j < BLOCK_WORDS; j += 2) {
            int m0 = in.getInt(at + j * Integer.BYTES);
            int m1 = in.getInt(at + (j + 1) * Integer.BYTES);
            h0 += ((m0 + key[j]) & 0xFFFFFFFFL) * ((m1 + key[j + 1]) & 0xFFFFFFFFL);
            h1 += ((m0 + key[j + 4]) & 0xFFFFFFFFL) * ((m1 + key[j + 5]) & 0xFFFFFFFFL);
        }
        out.putLong(h0).putLong(h1);
    }
}
