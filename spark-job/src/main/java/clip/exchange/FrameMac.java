package clip.exchange;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * One direction of one authenticated connection: every data frame ends with HMAC-SHA256, under
 * a key the handshake derives for this connection alone, over the frame's sequence number and
 * bytes. The sequence number is counted by both ends, never sent, so a frame that is altered,
 * replayed, reordered or dropped (or one from another connection) fails the check. Frames are
 * authenticated, not encrypted: gradients are visible on the wire.
 */
final class FrameMac {
    static final int BYTES = 32;
    private final Mac mac;
    private final byte[] sequence = new byte[Long.BYTES];
    private long next;

    FrameMac(byte[] sessionKey) {
        try {
            mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(sessionKey, "HmacSHA256"));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every Java 17 runtime", e);
        }
    }

    /** Appends the tag of the frame's readable bytes (a heap buffer with room for it). */
    void sign(ByteBuf frame) {
        startFrame();
        mac.update(frame.array(), frame.arrayOffset() + frame.readerIndex(), frame.readableBytes());
        frame.writeBytes(mac.doFinal());
    }

    /** Checks and removes the tag that ends the frame; false if it does not match. */
    boolean verify(ByteBuf frame) {
        int body = frame.readableBytes() - BYTES;
        if (body < 0) {
            return false;
        }
        startFrame();
        ByteBuffer bytes = frame.nioBuffer(frame.readerIndex(), body);
        mac.update(bytes);
        byte[] tag = new byte[BYTES];
        frame.getBytes(frame.readerIndex() + body, tag);
        frame.writerIndex(frame.readerIndex() + body);
        return MessageDigest.isEqual(mac.doFinal(), tag);
    }

    private void startFrame() {
        ByteBuffer.wrap(sequence).putLong(next++);
        mac.update(sequence);
    }
}
