package clip.prep;

import clip.prep.source.Fault;
import clip.prep.source.FaultKind;
import clip.prep.source.DatasetListing;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The record of one conversion, written last as {@code manifest.json}: source, config, counts
 * (overall and per split), every shard with its row count and SHA-256, and every fault. It holds
 * the books: images in = written + rejected, and the same for captions.
 */
public record Manifest(PrepConfig config, DatasetListing listing, List<ShardSummary> shards) {
    public long imagesWritten() {
        return shards.stream().mapToLong(ShardSummary::rows).sum();
    }

    public long captionsWritten() {
        return shards.stream().mapToLong(ShardSummary::captions).sum();
    }

    public long imagesRejected() {
        return countLoss(FaultKind.Loss.IMAGE) + shards.stream().mapToLong(ShardSummary::imagesRejected).sum();
    }

    public long captionsRejected() {
        return countLoss(FaultKind.Loss.CAPTION) + shards.stream().mapToLong(ShardSummary::captionsRejected).sum();
    }

    /** Faults found in the annotations, then in the shards in shard order. */
    public List<Fault> faults() {
        return java.util.stream.Stream.concat(listing.faults().stream(), shards.stream().flatMap(s -> s.faults().stream())).toList();
    }

    /** Fails loudly if an image or caption went missing without a fault: that is a bug, never the user's. */
    public void checkBooks() {
        if (listing.imagesIn() != imagesWritten() + imagesRejected() || listing.captionsIn() != captionsWritten() + captionsRejected()) {
            throw new IllegalStateException(String.format("accounting bug: images %d in, %d written, %d rejected; captions %d in, %d written, %d rejected",
                    listing.imagesIn(), imagesWritten(), imagesRejected(), listing.captionsIn(), captionsWritten(), captionsRejected()));
        }
    }

    public ObjectNode toJson() {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode root = f.objectNode();
        root.put("manifest_version", 1);
        ObjectNode source = root.putObject("source").put("format", config.format()).put("root", config.root());
        if (listing.classes() != null) {
            // What zero-shot evaluation labels the images by: label k is class_folders[k], the first part of file_name.
            listing.classes().folders().forEach(source.withArray("class_folders")::add);
            listing.classes().names().forEach(source.withArray("classes")::add);
        }
        ObjectNode c = root.putObject("config");
        c.put("image_size", config.imageSize()).put("jpeg_quality", config.jpegQuality())
                .put("images_per_shard", config.imagesPerShard()).put("schema_version", ShardSchema.VERSION);
        ArrayNode splits = c.putArray("splits");
        config.splits().forEach(splits::add);
        ObjectNode counts = root.putObject("counts");
        counts.put("images_in", listing.imagesIn()).put("images_written", imagesWritten()).put("images_rejected", imagesRejected())
                .put("captions_in", listing.captionsIn()).put("captions_written", captionsWritten())
                .put("captions_rejected", captionsRejected());
        ObjectNode perSplit = counts.putObject("splits");
        for (ShardSummary s : shards) {
            ObjectNode split = perSplit.has(s.split()) ? (ObjectNode) perSplit.get(s.split()) : perSplit.putObject(s.split());
            split.put("images", split.path("images").asLong() + s.rows()).put("captions", split.path("captions").asLong() + s.captions());
        }
        ArrayNode shardList = root.putArray("shards");
        for (ShardSummary s : shards) {
            shardList.addObject().put("path", s.name()).put("split", s.split()).put("rows", s.rows())
                    .put("captions", s.captions()).put("bytes", s.bytes()).put("sha256", s.sha256());
        }
        ObjectNode faults = root.putObject("faults");
        Map<String, Integer> byKind = new TreeMap<>();
        for (FaultKind k : FaultKind.values()) {
            byKind.put(k.key(), 0);
        }
        ArrayNode list = f.arrayNode();
        for (Fault fault : faults()) {
            byKind.merge(fault.kind().key(), 1, Integer::sum);
            list.addObject().put("kind", fault.kind().key()).put("image_id", fault.imageId()).put("file", fault.file())
                    .put("detail", fault.detail());
        }
        ObjectNode kinds = faults.putObject("counts");
        byKind.forEach(kinds::put);
        faults.set("list", list);
        return root;
    }

    private long countLoss(FaultKind.Loss loss) {
        return listing.faults().stream().filter(x -> x.kind().loss() == loss).count();
    }
}
