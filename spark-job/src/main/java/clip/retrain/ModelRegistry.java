package clip.retrain;

import clip.io.BadInputException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.Closeable;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FileUtil;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;

/**
 * A folder of promoted models on any Hadoop FileSystem:
 * <pre>
 * production             one line, the name of the version readers should use ("v000003")
 * versions/v000003/      an HF model folder + metrics.json + report.json, never changed once in place
 * runs/&lt;run&gt;/report.json  every run's report (and its train-log.jsonl when it trained)
 * LOCK                   while a run is active (see {@link RegistryLock})
 * _tmp/                  what a run is uploading; not part of the registry
 * </pre>
 * A promotion uploads the version under {@code _tmp/}, renames it into {@code versions/}, then
 * replaces {@code production} by renaming a new pointer over it: a reader that reads the pointer
 * and then that version sees the old model or the new one, whole. A run that dies part way is
 * undone or finished by the next run's {@link #recover} (it holds the lock).
 */
public final class ModelRegistry implements Closeable {
    private static final Pattern VERSION = Pattern.compile("v\\d{6}");
    private static final String PRODUCTION = "production";
    private static final String REPORT = "report.json";
    private static final String TMP = "_tmp";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final FileSystem fs;
    private final Path root;
    private final Configuration conf;

    /** @param location a local path, or any Hadoop URI (hdfs://, s3a://, ...) */
    public ModelRegistry(String location, Configuration conf) {
        Path given = new Path(location);
        // A path without a scheme is on this machine, as for every other path of the configuration.
        Path resolved = given.toUri().getScheme() != null ? given
                : new Path("file", null, java.nio.file.Path.of(location).toAbsolutePath().normalize().toString());
        try {
            // A private instance: checksum side files are turned off for it alone, so a registry on
            // a local disk holds exactly the files above (what a Python reader expects to find).
            this.fs = FileSystem.newInstance(resolved.toUri(), conf);
        } catch (IOException e) {
            throw new BadInputException("registry " + location + ": " + e.getMessage(), e);
        }
        fs.setWriteChecksum(false);
        this.root = fs.makeQualified(resolved);
        this.conf = conf;
    }

    public Path root() {
        return root;
    }

    public RegistryLock lock(String run, Duration timeout, PrintStream log) throws IOException, RegistryLockedException {
        fs.mkdirs(root);
        return RegistryLock.acquire(fs, new Path(root, "LOCK"), run, timeout, log);
    }

    /** The version {@code production} names; empty for a registry nothing was promoted to yet. */
    public Optional<String> production() throws IOException {
        Path pointer = new Path(root, PRODUCTION);
        String version;
        try (InputStream in = fs.open(pointer)) {
            version = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
        } catch (FileNotFoundException e) {
            return Optional.empty();
        }
        if (!VERSION.matcher(version).matches()) {
            throw new BadInputException(pointer + " should hold a version name such as v000001, not '" + version + "'");
        }
        if (!fs.exists(versionDir(version))) {
            throw new BadInputException(pointer + " names " + version + ", but " + versionDir(version) + " does not exist");
        }
        return Optional.of(version);
    }

    public Path versionDir(String version) {
        return new Path(new Path(root, "versions"), version);
    }

    /** Version folders in place, oldest first. */
    public List<String> versions() throws IOException {
        return childNames(new Path(root, "versions"), VERSION);
    }

    /** The name the next promotion takes: one above the highest in place. */
    public String nextVersion() throws IOException {
        List<String> v = versions();
        int last = v.isEmpty() ? 0 : Integer.parseInt(v.get(v.size() - 1).substring(1));
        return String.format("v%06d", last + 1);
    }

    /** The newest run's report (run names start with their UTC start time), if any run finished. */
    public Optional<JsonNode> latestRun() throws IOException {
        List<String> runs = childNames(new Path(root, "runs"), Pattern.compile(".+"));
        for (int i = runs.size() - 1; i >= 0; i--) {
            Optional<JsonNode> r = read(runReport(runs.get(i)));
            if (r.isPresent()) {
                return r;
            }
        }
        return Optional.empty();
    }

    /** Copies a version to a local folder (training and evaluation read models from local files). */
    public void download(String version, java.nio.file.Path local) throws IOException {
        fs.copyToLocalFile(false, versionDir(version), new Path(local.toAbsolutePath().toUri()), true);
    }

    /**
     * Makes the local folder {@code model} (complete: model files, metrics.json, report.json)
     * version {@code version} and production. The pointer's rename is the moment of promotion.
     */
    public void promote(java.nio.file.Path model, String version, String run) throws IOException {
        Path staged = new Path(tmpDir(run), "version");
        fs.copyFromLocalFile(false, true, new Path(model.toAbsolutePath().toUri()), staged);
        Path target = versionDir(version);
        fs.mkdirs(target.getParent());
        if (fs.exists(target)) {
            throw new IllegalStateException(target + " exists already; versions are never overwritten");
        }
        rename(staged, target);
        Path pointer = new Path(tmpDir(run), PRODUCTION);
        try (OutputStream out = fs.create(pointer, true)) {
            out.write((version + "\n").getBytes(StandardCharsets.UTF_8));
        }
        replace(pointer, new Path(root, PRODUCTION));
    }

    /** Puts a run's local folder (report.json, train-log.jsonl) in place as runs/&lt;run&gt;, whole. */
    public void recordRun(java.nio.file.Path folder, String run) throws IOException {
        Path staged = new Path(tmpDir(run), "run");
        fs.copyFromLocalFile(false, true, new Path(folder.toAbsolutePath().toUri()), staged);
        placeRun(staged, run);
    }

    /** The last step of every run: the run's folder goes in place and the uploads folder goes away. */
    private void placeRun(Path staged, String run) throws IOException {
        fs.mkdirs(new Path(root, "runs"));
        rename(staged, runDir(run));
        fs.delete(new Path(root, TMP), true);
    }

    public Path runReport(String run) {
        return new Path(runDir(run), REPORT);
    }

    /**
     * Brings the registry back to a whole state after runs that died part way (call holding the
     * lock): their uploads are deleted; a version renamed into place whose promotion never
     * happened (it is not production and no run report records it) is deleted; a promotion
     * that happened but whose run report was not written gets it from the version's copy.
     */
    public void recover(PrintStream log) throws IOException {
        if (fs.delete(new Path(root, TMP), true)) {
            log.println("retrain: removed the uploads of a run that did not finish");
        }
        Optional<String> production = production();
        for (String version : versions()) {
            Optional<JsonNode> report = read(new Path(versionDir(version), REPORT));
            if (report.isEmpty()) {
                continue; // placed by hand (a seeded registry): nothing to check it against
            }
            String run = report.get().path("run").asText();
            if (fs.exists(runDir(run))) {
                continue;
            }
            if (production.isPresent() && production.get().equals(version)) {
                Path staged = new Path(tmpDir(run), "run");
                fs.mkdirs(staged);
                FileUtil.copy(fs, new Path(versionDir(version), REPORT), fs, new Path(staged, REPORT), false, conf);
                placeRun(staged, run);
                log.printf("retrain: run %s promoted %s but died before recording the run; its report is now in runs/%n", run, version);
            } else {
                discard(version);
                log.printf("retrain: removed %s, left by run %s that died before promoting it%n", version, run);
            }
        }
    }

    /** Deletes all but the newest {@code keep} versions, never production; returns what was deleted. */
    public List<String> prune(int keep) throws IOException {
        List<String> versions = versions();
        Optional<String> production = production();
        List<String> deleted = new ArrayList<>();
        for (String v : versions.subList(0, Math.max(0, versions.size() - keep))) {
            if (production.isEmpty() || !production.get().equals(v)) {
                discard(v);
                deleted.add(v);
            }
        }
        return deleted;
    }

    /**
     * Deletes a version: it leaves versions/ whole, by one rename into the uploads folder, and is
     * deleted there, so a run killed part way through leaves no half-deleted version in place
     * (the next run's {@link #recover} deletes the rest). Called when no upload is under way.
     */
    private void discard(String version) throws IOException {
        Path bin = new Path(root, TMP + "/discarded");
        fs.mkdirs(bin);
        rename(versionDir(version), new Path(bin, version));
        fs.delete(new Path(root, TMP), true);
    }

    private Path runDir(String run) {
        return new Path(new Path(root, "runs"), run);
    }

    private Path tmpDir(String run) {
        return new Path(new Path(root, TMP), run);
    }

    private void rename(Path from, Path to) throws IOException {
        if (!fs.rename(from, to)) {
            throw new IOException("could not rename " + from + " to " + to);
        }
    }

    /**
     * Rename over an existing file in one step. A local disk's rename does that; HDFS refuses an
     * existing target in plain rename but replaces it atomically when asked to overwrite.
     */
    private void replace(Path from, Path to) throws IOException {
        if (fs.rename(from, to)) {
            return;
        }
        FileContext.getFileContext(fs.getUri(), conf).rename(from, to, Options.Rename.OVERWRITE);
    }

    private Optional<JsonNode> read(Path file) throws IOException {
        try (InputStream in = fs.open(file)) {
            return Optional.of(JSON.readTree(in));
        } catch (FileNotFoundException e) {
            return Optional.empty();
        }
    }

    private List<String> childNames(Path dir, Pattern names) throws IOException {
        List<String> out = new ArrayList<>();
        FileStatus[] children;
        try {
            children = fs.listStatus(dir);
        } catch (FileNotFoundException e) {
            return out;
        }
        for (FileStatus s : children) {
            if (s.isDirectory() && names.matcher(s.getPath().getName()).matches()) {
                out.add(s.getPath().getName());
            }
        }
        Collections.sort(out);
        return out;
    }

    @Override
    public void close() throws IOException {
        fs.close();
    }
}
