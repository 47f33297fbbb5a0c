package clip.checkpoint;

import clip.io.BadInputException;
import clip.io.SafeTensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Sharded training checkpoints on any Hadoop FileSystem. Each parameter-server shard writes its
 * own file ({@code step-000000123/shard-00001-of-00004.safetensors}); the step is committed by
 * writing {@code manifest.json} last, after every shard is in place, so a reader (or a restarted
 * job) sees either a whole checkpoint or none. A directory without a manifest is an interrupted
 * write and is ignored (and cleaned up by the next commit).
 */
public final class CheckpointStore {
    private static final Pattern STEP_DIR = Pattern.compile("step-(\\d{9})");
    private static final String MANIFEST = "manifest.json";
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

    public Path stepDir(long step) {
        return new Path(root, String.format("step-%09d", step));
    }

    private static String shardName(int shard, int numShards) {
        return String.format("shard-%05d-of-%05d.safetensors", shard, numShards);
    }

    /** Writes one shard through a temporary name, so a half-written shard never carries the real name. */
    public void writeShard(long step, int shard, int numShards, Map<String, INDArray> tensors) throws IOException {
        Path dir = stepDir(step);
        fs.mkdirs(dir);
        Path target = new Path(dir, shardName(shard, numShards));
        Path tmp = new Path(dir, "." + target.getName() + ".tmp");
        try (OutputStream out = fs.create(tmp, true)) {
            SafeTensors.write(out, tensors);
        }
        fs.delete(target, false);
        if (!fs.rename(tmp, target)) {
            throw new IOException("could not rename " + tmp + " to " + target);
        }
    }

    /**
     * Commits {@code step}: checks that all {@code numShards} shards exist, writes the manifest
     * (with the caller's training state: schedule position, data position, RNG seeds, metrics),
     * then deletes all but the newest {@code keep} committed checkpoints and any abandoned writes.
     */
    public void commit(long step, int numShards, JsonNode trainingState) throws IOException {
        Path dir = stepDir(step);
        ObjectNode manifest = JSON.createObjectNode();
        manifest.put("step", step);
        manifest.put("num_shards", numShards);
        ArrayNode shards = manifest.putArray("shards");
        for (int s = 0; s < numShards; s++) {
            Path p = new Path(dir, shardName(s, numShards));
            if (!fs.exists(p)) {
                throw new IOException("cannot commit step " + step + ": shard " + p + " is missing");
            }
            shards.addObject().put("file", p.getName()).put("bytes", fs.getFileStatus(p).getLen());
        }
        manifest.set("state", trainingState);
        Path tmp = new Path(dir, "." + MANIFEST + ".tmp");
        try (OutputStream out = fs.create(tmp, true)) {
            out.write(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(manifest));
        }
        if (!fs.rename(tmp, new Path(dir, MANIFEST))) {
            throw new IOException("could not commit " + dir + " (rename of the manifest failed)");
        }
        prune(step);
    }

    private void prune(long committedStep) throws IOException {
        List<Long> committed = committedSteps();
        for (int i = 0; i < committed.size() - keep; i++) {
            fs.delete(stepDir(committed.get(i)), true);
        }
        for (long s : allStepDirs()) {
            if (s < committedStep && !committed.contains(s)) {
                fs.delete(stepDir(s), true);
            }
        }
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

    private List<Long> allStepDirs() throws IOException {
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

    public Optional<Long> latest() throws IOException {
        List<Long> c = committedSteps();
        return c.isEmpty() ? Optional.empty() : Optional.of(c.get(c.size() - 1));
    }

    public JsonNode manifest(long step) throws IOException {
        Path p = new Path(stepDir(step), MANIFEST);
        try (InputStream in = fs.open(p)) {
            return JSON.readTree(in);
        } catch (FileNotFoundException e) {
            throw new BadInputException(p + ": checkpoint step " + step + " is not committed");
        } catch (org.apache.hadoop.fs.ChecksumException e) {
            throw new BadInputException(p + ": corrupt manifest (checksum mismatch)");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new BadInputException(p + ": malformed manifest: " + e.getOriginalMessage());
        }
    }

    public Map<String, INDArray> readShard(long step, int shard, int numShards) throws IOException {
        Path p = new Path(stepDir(step), shardName(shard, numShards));
        try (InputStream in = fs.open(p)) {
            return SafeTensors.read(in, p.toString());
        } catch (org.apache.hadoop.fs.ChecksumException e) {
            throw new BadInputException(p + ": corrupt checkpoint shard (checksum mismatch)");
        } catch (FileNotFoundException e) {
            throw new BadInputException(p + ": checkpoint shard missing");
        }
    }
}
