package clip.exchange;

import java.io.Serializable;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The key the driver generates for one training job and hands to its workers inside the task
 * closure. Workers prove to each other that they belong to the job with HMAC-SHA256 over fresh
 * nonces, and derive from it, per connection, the key that authenticates every data frame
 * ({@link FrameMac}): a host without the secret can neither join an exchange nor alter, replay
 * or inject frames on a connection between workers. Frames are not encrypted, so anyone on the
 * path can read the gradients; and the secret travels in the task closure, so it is as private
 * as Spark's own task traffic (encrypted only when Spark's RPC encryption is on).
 */
public final class JobSecret implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final int BYTES = 32;
    private static final byte[] SESSION_TAG = {'s', 'e', 's', 's', 'i', 'o', 'n'};
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

    /**
     * The key of one connection's data frames, from both ends' fresh nonces and ranks: a frame
     * recorded on one connection does not verify on any other.
     */
    byte[] sessionKey(byte[] listenerNonce, byte[] connectorNonce, int connectorRank, int listenerRank) {
        return mac(SESSION_TAG, listenerNonce, connectorNonce, ByteBuffer.allocate(2 * Integer.BYTES).putInt(connectorRank)
                .putInt(listenerRank).array());
    }

    /** Constant-time comparison, so a forger learns nothing from how long a rejection takes. */
    boolean verify(byte[] expectedMac, byte[] actual) {
        return MessageDigest.isEqual(expectedMac, actual);
    }
}
