package clip.exchange;

import java.io.Serializable;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The key the driver generates for one training job and hands to its workers inside the task
 * closure: workers prove to each other that they belong to the job with HMAC-SHA256 over fresh
 * nonces, so a stray or hostile connection cannot join an exchange or feed it gradients.
 */
public final class JobSecret implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final int BYTES = 32;
    private final byte[] key;

    private JobSecret(byte[] key) {
        this.key = key.clone();
    }

    public static JobSecret generate() {
        return new JobSecret(nonce());
    }

    /** A fresh random value for one handshake. */
    static byte[] nonce() {
        byte[] b = new byte[BYTES];
        new SecureRandom().nextBytes(b);
        return b;
    }

    static int nonceBytes() {
        return BYTES;
    }

    /** HMAC-SHA256 of the parts, concatenated. */
    byte[] mac(byte[]... parts) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            for (byte[] p : parts) {
                mac.update(p);
            }
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every Java 17 runtime", e);
        }
    }

    /** Constant-time comparison, so a forger learns nothing from how long a rejection takes. */
    boolean verify(byte[] expectedMac, byte[] actual) {
        return MessageDigest.isEqual(expectedMac, actual);
    }
}
