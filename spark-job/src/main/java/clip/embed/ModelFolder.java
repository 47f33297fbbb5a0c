package clip.embed;

import clip.eval.EncoderModel;
import clip.io.BadInputException;
import clip.io.LocalFiles;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * An HF model folder as an index records it: where it is and the SHA-256 of each file that decides
 * its embeddings (weights, config, tokenizer vocabulary, image processor config). Two folders with
 * the same hashes embed alike wherever they live; a changed file anywhere means another model.
 *
 * @param location the folder, fully qualified (file:/..., hdfs://...) so executors find it too
 */
public record ModelFolder(String location, String modelType, SortedMap<String, String> sha256) implements Serializable {
    /** The files the encoders read; those a folder has are hashed, the rest are absent (not all models need all). */
    static final List<String> FILES = List.of("config.json", "model.safetensors", "preprocessor_config.json", "vocab.txt",
            "vocab.json", "merges.txt");

    public ModelFolder {
        sha256 = new TreeMap<>(sha256);
    }

    /** Hashes the folder's files; a folder without config.json and model.safetensors is a one-line error. */
    public static ModelFolder read(String location, Configuration conf) throws IOException {
        Path dir = new Path(location);
        FileSystem fs = dir.getFileSystem(conf);
        if (!fs.isDirectory(dir)) {
            throw new BadInputException(location + ": no such model directory");
        }
        dir = fs.makeQualified(dir);
        SortedMap<String, String> hashes = new TreeMap<>();
        for (String name : FILES) {
            Path file = new Path(dir, name);
            if (fs.isFile(file)) {
                hashes.put(name, Sha256.of(fs, file));
            }
        }
        for (String needed : List.of("config.json", "model.safetensors")) {
            if (!hashes.containsKey(needed)) {
                throw new BadInputException(new Path(dir, needed)
                        + ": no such file (a model folder needs config.json and model.safetensors)");
            }
        }
        Path configFile = new Path(dir, "config.json");
        String type;
        try (InputStream in = fs.open(configFile)) {
            type = new ObjectMapper().readTree(in).path("model_type").asText("");
        } catch (JsonProcessingException e) {
            throw new BadInputException(configFile + ": malformed JSON: " + e.getOriginalMessage());
        }
        EncoderModel.checkType(type, location, "embed");
        return new ModelFolder(dir.toString(), type, hashes);
    }

    /** One hash for the whole folder: SHA-256 over each file's name and hash, in name order. */
    public String fingerprint() {
        MessageDigest md = Sha256.digest();
        sha256.forEach((name, hash) -> md.update((name + " " + hash + "\n").getBytes(StandardCharsets.UTF_8)));
        return HexFormat.of().formatHex(md.digest());
    }

    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("path", location).put("model_type", modelType).put("fingerprint", fingerprint());
        ObjectNode files = o.putObject("files");
        sha256.forEach(files::put);
        return o;
    }

    /**
     * Why this folder is not the model {@code recorded} (an index manifest's {@code model}) describes,
     * in one line naming the first file that differs; null when it is the same model.
     */
    public String differenceFrom(JsonNode recorded) {
        if (recorded.path("fingerprint").asText().equals(fingerprint())) {
            return null;
        }
        SortedMap<String, String> theirs = new TreeMap<>();
        recorded.path("files").fields().forEachRemaining(e -> theirs.put(e.getKey(), e.getValue().asText()));
        for (String name : FILES) {
            String mine = sha256.get(name);
            String other = theirs.get(name);
            if (mine == null && other != null) {
                return "it has no " + name + ", which the indexed model had";
            }
            if (mine != null && other == null) {
                return "its " + name + " was not part of the indexed model";
            }
            if (mine != null && !mine.equals(other)) {
                return "its " + name + " differs (sha256 " + mine.substring(0, 12) + "... here, " + other.substring(0, 12)
                        + "... in the index)";
            }
        }
        return "its fingerprint " + fingerprint() + " differs from the index's " + recorded.path("fingerprint").asText();
    }

    /**
     * Loads the model for encoding. A folder on another file system (HDFS, S3) is first copied to a
     * local temporary folder, since the loaders read local files; the copy is deleted once loaded.
     */
    public EncoderModel load(int maxTextLength, String command, Configuration conf) throws IOException {
        Path dir = new Path(location);
        FileSystem fs = dir.getFileSystem(conf);
        if (fs instanceof LocalFileSystem || fs instanceof RawLocalFileSystem) {
            return EncoderModel.load(Paths.get(dir.toUri()), maxTextLength, command);
        }
        java.nio.file.Path local = Files.createTempDirectory("clip-model");
        try {
            for (Map.Entry<String, String> e : sha256.entrySet()) {
                fs.copyToLocalFile(false, new Path(dir, e.getKey()), new Path(local.resolve(e.getKey()).toUri()), true);
            }
            return EncoderModel.load(local, maxTextLength, command);
        } finally {
            LocalFiles.deleteTree(local);
        }
    }
}
