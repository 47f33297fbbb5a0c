package clip.checkpoint;

import clip.io.BadInputException;
import clip.io.SafeTensors;
import clip.io.WriteFailure;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ChecksumException;
import org.apache.hadoop.fs.ChecksumFileSystem;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FSError;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Training checkpoints on any Hadoop FileSystem, as named tensors. Each worker writes one slice
 * ({@code step-000000123/slice-00001-of-00004.safetensors}) holding, by name, the parts of the
 * tensors it owns (flattened); the step is committed by writing {@code manifest.json} last,
 * after every slice is in place. The manifest records every tensor's shape, which part of
 * which tensor each slice holds, and every slice's size and
 * SHA-256, so a reader verifies what it loads without relying on side files a copy tool drops,
 * and rebuilds every tensor whole for any number of workers. A folder without a manifest is
 * an interrupted write: it is ignored, and cleaned up by the next commit.
 */
public final class CheckpointStore {
    private static final Pattern STEP_DIR = Pattern.compile("step-(\\d{9})");
    /** Left by a write or a rename cut short: {@code .name.tmp}, and its Hadoop checksum {@code ..name.tmp.crc}. */
    private static final Pattern LEFTOVER = Pattern.compile("\\.+.*\\.tmp(\\.crc)?");
    private static final String MANIFEST = "manifest.json";
    /** Written into every manifest; a manifest without it is of the flat format this version no longer reads. */
    private static final String FORMAT = "named-tensors-1";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final FileSystem fs;
    private final Path root;
    private final int keep;

    public CheckpointStore(URI root, Configuration conf, int keep) {
        if (keep < 1) {
            throw new BadInputException("checkpoint keep must be >= 1, got " + keep);
        }
        try {
            this.fs = FileSystem.get(root, conf);
        } catch (IOException e) {
            throw new BadInputException("checkpoint directory " + root + ": " + e.getMessage(), e);
        }
        this.root = new Path(root);
        this.keep = keep;
    }

    /** The folder checkpoints go to, for messages. */
    public String root() {
        return root.toString();
    }

    public Path stepDir(long step) {
        return new Path(root, String.format("step-%09d", step));
    }

    private static String sliceName(int slice, int numSlices) {
        return String.format("slice-%05d-of-%05d.safetensors", slice, numSlices);
    }

    /**
     * Writes one worker's slice through a temporary name, so a half-written slice never carries
     * the real name; returns its size and SHA-256 for the manifest.
     */
    public SliceDigest writeSlice(long step, int slice, int numSlices, Map<String, INDArray> tensors) throws IOException {
        Path dir = stepDir(step);
        fs.mkdirs(dir);
        Path target = new Path(dir, sliceName(slice, numSlices));
        Path tmp = new Path(dir, "." + target.getName() + ".tmp");
        MessageDigest sha = sha256();
        try (OutputStream out = new DigestOutputStream(fs.create(tmp, true), sha)) {
            SafeTensors.write(out, tensors);
        } catch (IOException | FSError e) {
            throw WriteFailure.naming(tmp, e);
        }
        long bytes = fs.getFileStatus(tmp).getLen();
        fs.delete(target, false);
        if (!fs.rename(tmp, target)) {
            throw new IOException("could not rename " + tmp + " to " + target);
        }
        return new SliceDigest(bytes, HexFormat.of().formatHex(sha.digest()));
    }

    /**
     * Commits {@code step}: checks that every slice is in place with the size its writer saw,
     * writes the manifest (every tensor's shape, the parts each slice holds, each slice's size and
     * SHA-256, and the trainer's state), then prunes (see {@link #prune}).
     *
     * @param shapes  every tensor's shape, by name
     * @param ranges  per slice: tensor name to the {@code [from, to)} of its flattened values that the slice holds
     * @param digests per slice, as {@link #writeSlice} returned them
     * @param state   the trainer's record, returned by {@link #load} as {@link Checkpoint#state}
     */
    public void commit(long step, Map<String, long[]> shapes, List<Map<String, int[]>> ranges, List<SliceDigest> digests,
                       JsonNode state) throws IOException {
        Path dir = stepDir(step);
        ObjectNode manifest = JSON.createObjectNode();
        manifest.put("format", FORMAT);
        manifest.put("step", step);
        ObjectNode params = manifest.putObject("tensors");
        shapes.forEach((name, shape) -> {
            ArrayNode dims = params.putArray(name);
            for (long d : shape) {
                dims.add(d);
            }
        });
        ArrayNode slices = manifest.putArray("slices");
        for (int s = 0; s < ranges.size(); s++) {
            Path p = new Path(dir, sliceName(s, ranges.size()));
            SliceDigest digest = digests.get(s);
            if (!fs.exists(p) || fs.getFileStatus(p).getLen() != digest.bytes()) {
                throw new IOException("cannot commit step " + step + ": slice " + p + " is missing or not the "
                        + digest.bytes() + " bytes its worker wrote");
            }
            ObjectNode entry = slices.addObject().put("file", p.getName()).put("bytes", digest.bytes()).put("sha256", digest.sha256());
            ObjectNode parts = entry.putObject("ranges");
            ranges.get(s).forEach((name, r) -> parts.putArray(name).add(r[0]).add(r[1]));
        }
        manifest.set("state", state);
        Path tmp = new Path(dir, "." + MANIFEST + ".tmp");
        try (OutputStream out = fs.create(tmp, true)) {
            out.write(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(manifest));
        } catch (IOException | FSError e) {
            throw WriteFailure.naming(tmp, e);
        }
        if (!fs.rename(tmp, new Path(dir, MANIFEST))) {
            throw new IOException("could not commit " + dir + " (rename of the manifest failed)");
        }
        prune();
    }

    /**
     * Deletes all but the newest {@code keep} committed checkpoints, every interrupted write
     * older than the newest committed one, and what interrupted renames left in committed
     * folders (a kill between a file's rename and its checksum file's leaves the latter).
     */
    public void prune() throws IOException {
        List<Long> committed = committedSteps();
        for (int i = 0; i < committed.size() - keep; i++) {
            fs.delete(stepDir(committed.get(i)), true);
        }
        long newest = committed.isEmpty() ? -1 : committed.get(committed.size() - 1);
        for (long s : allStepDirs()) {
            if (s < newest && !committed.contains(s)) {
                fs.delete(stepDir(s), true);
            } else if (committed.contains(s)) {
                deleteLeftovers(stepDir(s));
            }
        }
    }

    private void deleteLeftovers(Path dir) throws IOException {
        // A checksummed file system hides the .crc files from its own listings: list the raw one.
        FileSystem raw = fs instanceof ChecksumFileSystem c ? c.getRawFileSystem() : fs;
        for (FileStatus st : raw.listStatus(dir)) {
            if (LEFTOVER.matcher(st.getPath().getName()).matches()) {
                raw.delete(st.getPath(), false);
            }
        }
    }

    /** Takes back the commit of {@code step} (found unusable), so that pruning never counts it as a kept checkpoint. */
    public void uncommit(long step) throws IOException {
        fs.delete(new Path(stepDir(step), MANIFEST), false);
    }

    /** Committed steps, oldest first. */
    public List<Long> committedSteps() throws IOException {
        List<Long> out = new ArrayList<>();
        for (long s : allStepDirs()) {
            if (fs.exists(new Path(stepDir(s), MANIFEST))) {
                out.add(s);
            }
        }
        return out;
    }

    /** Steps that have a folder, committed or not, oldest first. */
    public List<Long> allStepDirs() throws IOException {
        List<Long> out = new ArrayList<>();
        FileStatus[] children;
        try {
            children = fs.listStatus(root);
        } catch (FileNotFoundException e) {
            return out;
        }
        for (FileStatus st : children) {
            Matcher m = STEP_DIR.matcher(st.getPath().getName());
            if (st.isDirectory() && m.matches()) {
                out.add(Long.parseLong(m.group(1)));
            }
        }
        Collections.sort(out);
        return out;
    }

    /**
     * The newest committed checkpoint that verifies, skipping (with a one-line warning each) those
     * that do not; empty when nothing is committed.
     *
     * @throws BadInputException when checkpoints are committed but none verifies (one line naming each fault)
     */
    public Optional<Checkpoint> newestUsable(Consumer<String> warn) throws IOException {
        List<Long> steps = committedSteps();
        List<String> faults = new ArrayList<>();
        for (int i = steps.size() - 1; i >= 0; i--) {
            try {
                return Optional.of(load(steps.get(i)));
            } catch (UnusableCheckpointException e) {
                faults.add(e.getMessage());
                warn.accept("warning: checkpoint step " + steps.get(i) + " is unusable (" + e.getMessage() + ")"
                        + (i > 0 ? "; trying the one before it" : ""));
            }
        }
        if (faults.isEmpty()) {
            return Optional.empty();
        }
        throw new BadInputException("no usable checkpoint in " + root + " (" + String.join("; ", faults)
                + "); set clip.train.resume = never to start the run over");
    }

    /**
     * Reads and verifies committed step {@code step}: every slice present, of the size and
     * SHA-256 the manifest recorded, the parts of every tensor covering it exactly once, and
     * every value finite.
     *
     * @throws UnusableCheckpointException when it fails verification (one line naming the file)
     * @throws BadInputException           when it is not committed, or of the old flat format
     */
    public Checkpoint load(long step) throws IOException {
        Path dir = stepDir(step);
        JsonNode manifest = manifest(step);
        if (!FORMAT.equals(manifest.path("format").asText())) {
            throw new BadInputException(dir + ": a checkpoint of the old flat format, which this version does not read;"
                    + " set clip.train.resume = never to start the run over");
        }
        Map<String, long[]> shapes = new LinkedHashMap<>();
        Map<String, float[]> tensors = new LinkedHashMap<>();
        Map<String, Long> covered = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = manifest.path("tensors").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            long[] shape = new long[e.getValue().size()];
            long size = 1;
            for (int i = 0; i < shape.length; i++) {
                shape[i] = e.getValue().get(i).asLong();
                size *= shape[i];
            }
            shapes.put(e.getKey(), shape);
            tensors.put(e.getKey(), new float[Math.toIntExact(size)]);
            covered.put(e.getKey(), 0L);
        }
        for (JsonNode slice : manifest.path("slices")) {
            Path file = new Path(dir, slice.path("file").asText());
            Map<String, INDArray> values;
            byte[] bytes = verifiedBytes(file, slice);
            try {
                values = SafeTensors.read(new ByteArrayInputStream(bytes), file.toString());
            } catch (BadInputException e) {
                throw new UnusableCheckpointException(e.getMessage());
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = slice.path("ranges").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String key = e.getKey();
                int from = e.getValue().path(0).asInt();
                int to = e.getValue().path(1).asInt();
                if (!shapes.containsKey(key) || from < 0 || to > tensors.get(key).length || from >= to) {
                    throw new UnusableCheckpointException(dir + "/" + MANIFEST + ": a bad range of " + key);
                }
                INDArray part = values.get(key);
                if (part == null || part.length() != to - from || part.dataType() != DataType.FLOAT) {
                    throw new UnusableCheckpointException(file + ": " + key + " is missing or not " + (to - from) + " float32 values");
                }
                float[] v = part.data().asFloat();
                for (float x : v) {
                    if (!Float.isFinite(x)) {
                        throw new UnusableCheckpointException(file + ": " + key + " holds non-finite values");
                    }
                }
                System.arraycopy(v, 0, tensors.get(key), from, to - from);
                covered.merge(key, (long) (to - from), Long::sum);
            }
        }
        for (Map.Entry<String, Long> c : covered.entrySet()) {
            if (c.getValue() != tensors.get(c.getKey()).length) {
                throw new UnusableCheckpointException(dir + "/" + MANIFEST + ": the slices hold " + c.getValue() + " of the "
                        + tensors.get(c.getKey()).length + " values of " + c.getKey());
            }
        }
        return new Checkpoint(step, dir.toString(), shapes, tensors, manifest.path("state"));
    }

    private byte[] verifiedBytes(Path file, JsonNode entry) throws IOException {
        byte[] bytes;
        try (InputStream in = fs.open(file)) {
            bytes = in.readAllBytes();
        } catch (FileNotFoundException e) {
            throw new UnusableCheckpointException(file + ": slice missing");
        } catch (ChecksumException e) {
            throw new UnusableCheckpointException(file + ": corrupt slice (Hadoop checksum mismatch)");
        }
        if (bytes.length != entry.path("bytes").asLong()) {
            throw new UnusableCheckpointException(file + ": " + bytes.length + " bytes, the manifest recorded "
                    + entry.path("bytes").asLong() + " (truncated?)");
        }
        if (!HexFormat.of().formatHex(sha256().digest(bytes)).equals(entry.path("sha256").asText())) {
            throw new UnusableCheckpointException(file + ": corrupt slice (SHA-256 differs from the manifest's)");
        }
        return bytes;
    }

    private JsonNode manifest(long step) throws IOException {
        Path p = new Path(stepDir(step), MANIFEST);
        try (InputStream in = fs.open(p)) {
            return JSON.readTree(in);
        } catch (FileNotFoundException e) {
            throw new BadInputException(p + ": checkpoint step " + step + " is not committed");
        } catch (ChecksumException e) {
            throw new UnusableCheckpointException(p + ": corrupt manifest (Hadoop checksum mismatch)");
        } catch (JsonProcessingException e) {
            throw new UnusableCheckpointException(p + ": malformed manifest: " + e.getOriginalMessage().lines().findFirst().orElse(""));
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has SHA-256", e);
        }
    }
}
