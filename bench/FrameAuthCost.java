import java.nio.ByteBuffer;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * What securing the worker exchange costs per byte with the JDK's own crypto (Netty has no
 * OpenSSL here, so TLS would run on the JDK's SSLEngine): HMAC-SHA256 over a frame (what
 * clip.exchange.FrameMac does) against AES-128-GCM seal and open (TLS 1.3's
 * TLS_AES_128_GCM_SHA256), on 4 MB frames (the exchange's) and 16 KB records (TLS's).
 * One thread; prints the best of 6 passes of 128 MB each, so the JIT has warmed up.
 *
 * <p>Run: {@code java bench/FrameAuthCost.java}
 */
public class FrameAuthCost {
    private static final long BYTES_PER_PASS = 128L << 20;

    private final SecretKeySpec hmacKey;
    private final SecretKeySpec aesKey;
    private final byte[] frame;
    private long nonce;

    FrameAuthCost(int frameBytes) {
        SecureRandom random = new SecureRandom();
        byte[] key = new byte[16];
        random.nextBytes(key);
        hmacKey = new SecretKeySpec(key, "HmacSHA256");
        aesKey = new SecretKeySpec(key, "AES");
        frame = new byte[frameBytes];
        random.nextBytes(frame);
    }

    public static void main(String[] args) throws Exception {
        for (int size : new int[] {4 << 20, 16 << 10}) {
            FrameAuthCost c = new FrameAuthCost(size);
            byte[] sealed = c.seal(c.nonce);
            long sealedWith = c.nonce;
            System.out.printf("%,9d-byte frames: HMAC-SHA256 %.2f GB/s, AES-GCM seal %.2f GB/s, AES-GCM open %.2f GB/s%n", size,
                    c.best(c::hmac), c.best(() -> c.seal(++c.nonce)), c.best(() -> c.open(sealed, sealedWith)));
        }
    }

    interface Frame {
        Object process() throws Exception;
    }

    private double best(Frame op) throws Exception {
        double best = 0;
        for (int pass = 0; pass < 6; pass++) {
            long start = System.nanoTime();
            for (long done = 0; done < BYTES_PER_PASS; done += frame.length) {
                op.process();
            }
            best = Math.max(best, BYTES_PER_PASS / (double) (System.nanoTime() - start));
        }
        return best;
    }

    private byte[] hmac() throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(hmacKey);
        return mac.doFinal(frame);
    }

    private byte[] seal(long n) throws Exception {
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(Cipher.ENCRYPT_MODE, aesKey, new GCMParameterSpec(128, ByteBuffer.allocate(12).putLong(4, n).array()));
        return c.doFinal(frame);
    }

    private byte[] open(byte[] sealed, long n) throws Exception {
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(Cipher.DECRYPT_MODE, aesKey, new GCMParameterSpec(128, ByteBuffer.allocate(12).putLong(4, n).array()));
        return c.doFinal(sealed);
    }
}
