package clip.exchange;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FloatSumsTest {
    private static ByteBuffer buffer(float[] v, int offsetFloats) {
        ByteBuffer b = ByteBuffer.allocateDirect((v.length + offsetFloats) * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < v.length; i++) {
            b.putFloat((offsetFloats + i) * Float.BYTES, v[i]);
        }
        return b.position(offsetFloats * Float.BYTES);
    }

    private static float[] floats(ByteBuffer b, int offsetFloats, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = b.getFloat((offsetFloats + i) * Float.BYTES);
        }
        return v;
    }

    /**
     * One pass over several parts gives the bits of adding them one at a time in order, from +0
     * or from what the sum holds, on the Vector API and in the scalar loop, at lengths that leave
     * a tail and with zeros of both signs.
     */
    @ParameterizedTest
    @CsvSource({"1, true", "3, true", "3, false", "4, false"})
    void onePassAddsInOrder(int parts, boolean first) {
        int n = 1000 + 13;
        Random random = new Random(parts);
        float[] start = new float[n];
        float[][] p = new float[parts][n];
        for (int i = 0; i < n; i++) {
            start[i] = i % 7 == 0 ? -0f : (float) (random.nextGaussian() * Math.pow(10, random.nextInt(12) - 6));
            for (int k = 0; k < parts; k++) {
                p[k][i] = i % 7 == 0 ? -0f : (float) (random.nextGaussian() * Math.pow(10, random.nextInt(12) - 6));
            }
        }
        float[] expected = new float[n];
        for (int i = 0; i < n; i++) {
            float acc = first ? 0f : start[i];
            for (int k = 0; k < parts; k++) {
                acc = acc + p[k][i];
            }
            expected[i] = acc;
        }
        ByteBuffer[] in = new ByteBuffer[parts];
        int[] from = new int[parts];
        for (int k = 0; k < parts; k++) {
            in[k] = buffer(p[k], k + 1);
            from[k] = in[k].position();
        }
        ByteBuffer sum = buffer(start, 5);
        FloatSums.add(sum, 5 * Float.BYTES, in, n, first);
        assertArrayEquals(expected, floats(sum, 5, n), "the loop this JVM runs");
        ByteBuffer scalar = buffer(start, 5);
        FloatSums.scalarAdd(scalar, 5 * Float.BYTES, in, from, 0, n, first);
        assertArrayEquals(expected, floats(scalar, 5, n), "the scalar loop");
    }
}
