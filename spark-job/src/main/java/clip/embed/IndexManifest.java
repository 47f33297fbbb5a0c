package clip.embed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * The record of one index, written last as {@code manifest.json}: the model (path, type, each
 * file's SHA-256 and one fingerprint), the data and split, the embedding width, counts, and every
 * part with its source rows and its files (rows, bytes, SHA-256).
 *
 * @param parts     the plan, in order
 * @param summaries the committed parts, in the same order
 */
public record IndexManifest(EmbedConfig config, ModelFolder model, JsonNode prepSource, List<IndexPart> parts,
                            List<PartSummary> summaries) {
    /** Rows of {@code side} over every part. */
    public long count(Side side) {
        return summaries.stream().mapToLong(s -> s.rows(side)).sum();
    }

    public int dim() {
        return summaries.isEmpty() ? 0 : summaries.get(0).dim();
    }

    /**
     * Fails loudly unless every part has the same width and every image and caption of the split
     * was embedded exactly once: that would be a bug, never the user's.
     *
     * @param splitCounts the data-prep manifest's {@code counts.splits.<split>}
     */
    public void checkBooks(JsonNode splitCounts) {
        long images = splitCounts.path("images").asLong();
        long captions = splitCounts.path("captions").asLong();
        boolean sameDim = summaries.stream().allMatch(s -> s.dim() == dim());
        boolean imagesOk = !config.sides().contains(Side.IMAGES) || count(Side.IMAGES) == images;
        boolean textsOk = !config.sides().contains(Side.TEXTS) || count(Side.TEXTS) == captions;
        if (!sameDim || !imagesOk || !textsOk) {
            throw new IllegalStateException(String.format("accounting bug: split %s has %d images and %d captions; the index"
                    + " holds %d and %d, widths %s", config.split(), images, captions, count(Side.IMAGES), count(Side.TEXTS),
                    summaries.stream().map(PartSummary::dim).distinct().toList()));
        }
    }

    public ObjectNode toJson() {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode root = f.objectNode();
        root.put("index_version", EmbeddingFiles.VERSION);
        root.set("model", model.toJson());
        ObjectNode data = root.putObject("data");
        data.put("path", config.data()).put("split", config.split());
        data.set("source", prepSource);
        ArrayNode sides = root.putArray("sides");
        config.sides().forEach(s -> sides.add(s.key()));
        root.put("embedding_dim", dim()).put("max_text_length", config.maxTextLength()).put("rows_per_part", config.rowsPerPart());
        ObjectNode counts = root.putObject("counts");
        for (Side side : Side.values()) {
            counts.put(side.key(), count(side));
        }
        counts.put("parts", parts.size());
        ArrayNode list = root.putArray("parts");
        for (int i = 0; i < parts.size(); i++) {
            IndexPart p = parts.get(i);
            ObjectNode part = list.addObject();
            part.put("name", p.name()).put("shard", p.shard()).put("first_row", p.firstRow()).put("rows", p.rows());
            ObjectNode files = part.putObject("files");
            for (PartSummary.PartFile file : summaries.get(i).files()) {
                files.putObject(file.side()).put("path", file.path()).put("rows", file.rows()).put("bytes", file.bytes())
                        .put("sha256", file.sha256());
            }
        }
        return root;
    }
}
