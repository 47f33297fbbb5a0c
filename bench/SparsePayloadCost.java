package clip.exchange;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

/**
 * What a sparse gradient frame costs on one core (clip.exchange.SparsePayload): encoding and
 * decoding a 1 MB frame with 200 rows of 192 floats set (a word-embedding gradient's share of
 * one frame, generously), and turning down a dense frame. Five rounds; the first is the JIT's.
 * It is in SparsePayload's package, so it runs from compiled classes, not as a source file:
 *
 *   CP="spark-job/target/classes:$(cat spark-job/target/classpath.txt)"
 *   javac -cp "$CP" -d /tmp/sparse-cost bench/SparsePayloadCost.java && java -cp "/tmp/sparse-cost:$CP" clip.exchange.SparsePayloadCost
 */
public class SparsePayloadCost {
    public static void main(String[] args) {
        int n = 1 << 18;
        Random random = new Random(1);
        ByteBuffer sparse = ByteBuffer.allocateDirect(n * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int k = 0; k < 200; k++) {
            int row = random.nextInt(n / 192);
            for (int i = row * 192; i < row * 192 + 192; i++) {
                sparse.putFloat(i * Float.BYTES, (float) random.nextGaussian());
            }
        }
        ByteBuffer dense = ByteBuffer.allocateDirect(n * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            dense.putFloat(i * Float.BYTES, (float) random.nextGaussian());
        }
        ByteBuf into = Unpooled.directBuffer(n * Float.BYTES);
        for (int round = 0; round < 5; round++) {
            long t0 = System.nanoTime();
            ByteBuffer encoded = null;
            for (int i = 0; i < 200; i++) {
                encoded = SparsePayload.encode(sparse);
            }
            long t1 = System.nanoTime();
            for (int i = 0; i < 200; i++) {
                SparsePayload.decode(Unpooled.wrappedBuffer(encoded.duplicate()), n, into.clear());
            }
            long t2 = System.nanoTime();
            for (int i = 0; i < 2000; i++) {
                if (SparsePayload.encode(dense) != null) {
                    throw new AssertionError("a dense frame was encoded");
                }
            }
            long t3 = System.nanoTime();
            System.out.printf("1 MB frame: encoded to %d bytes in %.3f ms, decoded in %.3f ms; a dense frame turned down in %.4f ms%n",
                    encoded.remaining(), (t1 - t0) / 200e6, (t2 - t1) / 200e6, (t3 - t2) / 2000e6);
        }
    }
}
