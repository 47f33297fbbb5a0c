package clip.retrain;

import java.io.IOException;
import java.net.URI;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * The local disk under the scheme {@code crashing://}, failing every rename whose target path
 * matches {@link #TARGET} in its configuration: a run dies at that step, with the registry as a
 * killed process would leave it there.
 */
public final class CrashingFileSystem extends RawLocalFileSystem {
    static final String TARGET = "crashing.rename-target";
    private Pattern target;

    static Configuration conf(String targetRegex) {
        Configuration conf = new Configuration();
        conf.set("fs.crashing.impl", CrashingFileSystem.class.getName());
        conf.setBoolean("fs.crashing.impl.disable.cache", true);
        conf.set(TARGET, targetRegex);
        return conf;
    }

    @Override
    public void initialize(URI uri, Configuration conf) throws IOException {
        super.initialize(uri, conf);
        target = Pattern.compile(conf.get(TARGET));
    }

    @Override
    public URI getUri() {
        return URI.create("crashing:///");
    }

    @Override
    public String getScheme() {
        return "crashing";
    }

    @Override
    public boolean rename(Path src, Path dst) throws IOException {
        if (target.matcher(dst.toUri().getPath()).matches()) {
            throw new IOException("injected crash: renaming " + src + " to " + dst);
        }
        return super.rename(src, dst);
    }
}
