package clip.checkpoint;

import java.util.HexFormat;

/**
 * What a worker's slice was when it wrote it: its size and SHA-256. Each worker digests its own
 * slice as it writes it, and the committer records them all in the manifest, so committing
 * never reads the slices back.
 */
public record SliceDigest(long bytes, String sha256) {
    private static final int SHA_BYTES = 32;

    /** As 16-bit pieces, each exact in a float, for the workers' float exchange. */
    public float[] toFloats() {
        byte[] sha = HexFormat.of().parseHex(sha256);
        float[] out = new float[4 + SHA_BYTES / 2];
        for (int i = 0; i < 4; i++) {
            out[i] = (bytes >>> (16 * i)) & 0xFFFF;
        }
        for (int i = 0; i < SHA_BYTES / 2; i++) {
            out[4 + i] = ((sha[2 * i] & 0xFF) << 8) | (sha[2 * i + 1] & 0xFF);
        }
        return out;
    }

    public static SliceDigest fromFloats(float[] f) {
        long bytes = 0;
        for (int i = 0; i < 4; i++) {
            bytes |= (long) f[i] << (16 * i);
        }
        byte[] sha = new byte[SHA_BYTES];
        for (int i = 0; i < SHA_BYTES / 2; i++) {
            int v = (int) f[4 + i];
            sha[2 * i] = (byte) (v >>> 8);
            sha[2 * i + 1] = (byte) v;
        }
        return new SliceDigest(bytes, HexFormat.of().formatHex(sha));
    }
}
