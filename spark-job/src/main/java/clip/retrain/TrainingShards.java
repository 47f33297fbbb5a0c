package clip.retrain;

import clip.prep.ShardReader;
import clip.io.BadInputException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * The shard files a run trains on, as the prep output's manifest lists them (path within the
 * output, SHA-256, rows). A shard is the same shard in another run only if both its path and its
 * bytes are the same, so a re-prepped folder with more data shows which shards are new.
 */
public record TrainingShards(String root, String split, List<Shard> shards) {
    public record Shard(String path, String sha256, long rows) {
    }

    public static TrainingShards read(String root, String split, Configuration conf) throws IOException {
        JsonNode manifest = ShardReader.manifest(new Path(root), conf);
        List<Shard> shards = new ArrayList<>();
        for (JsonNode s : manifest.path("shards")) {
            if (s.path("split").asText().equals(split)) {
                shards.add(shard(s));
            }
        }
        if (shards.isEmpty()) {
            throw new BadInputException(root + "/manifest.json lists no shard of split '" + split + "'");
        }
        return new TrainingShards(root, split, shards);
    }

    /** The {@code data} block of an earlier run's report.json. */
    public static TrainingShards fromReport(JsonNode data) {
        List<Shard> shards = new ArrayList<>();
        data.path("shards").forEach(s -> shards.add(shard(s)));
        return new TrainingShards(data.path("root").asText(), data.path("split").asText(), shards);
    }

    private static Shard shard(JsonNode s) {
        return new Shard(s.path("path").asText(), s.path("sha256").asText(), s.path("rows").asLong());
    }

    /** Shards here that {@code earlier} did not train on. */
    public List<Shard> newSince(TrainingShards earlier) {
        return shards.stream().filter(s -> !earlier.shards.contains(s)).toList();
    }

    public long rows() {
        return shards.stream().mapToLong(Shard::rows).sum();
    }

    /**
     * The report's record of the data: every shard, and against the previous run (null: none)
     * which are new and which it had that this run no longer has.
     */
    public ObjectNode toReport(TrainingShards previous, String previousRun) {
        ObjectNode data = JsonNodeFactory.instance.objectNode().put("root", root).put("split", split).put("rows", rows());
        data.set("shards", list(shards));
        data.put("previous_run", previousRun);
        data.set("new_shards", list(previous == null ? shards : newSince(previous)));
        data.set("dropped_shards", list(previous == null ? List.of() : previous.newSince(this)));
        return data;
    }

    private static ArrayNode list(List<Shard> shards) {
        ArrayNode a = JsonNodeFactory.instance.arrayNode();
        shards.forEach(s -> a.addObject().put("path", s.path()).put("sha256", s.sha256()).put("rows", s.rows()));
        return a;
    }
}
