package clip.embed;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** SHA-256 in lower-case hex, as sha256sum prints it: of the model's files, a manifest, an approximate index's files. */
final class Sha256 {
    private Sha256() {
    }

    static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(digest().digest(bytes));
    }

    static String of(FileSystem fs, Path file) throws IOException {
        MessageDigest md = digest();
        byte[] buffer = new byte[1 << 20];
        try (InputStream in = fs.open(file)) {
            for (int n = in.read(buffer); n > 0; n = in.read(buffer)) {
                md.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has SHA-256", e);
        }
    }
}
