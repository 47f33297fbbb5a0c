package clip.validation;

import clip.prep.ShardReader;
import clip.prep.ShardSchema;
import clip.prep.source.Caption;
import clip.prep.source.CocoCaptions;
import clip.prep.source.CocoCategories;
import clip.prep.source.DatasetListing;
import clip.prep.source.ImageEntry;
import clip.prep.source.ImageFolder;
import clip.data.ImagePipeline;
import clip.data.image.ImageDecodeException;
import clip.eval.Embedder;
import clip.eval.EvalInputs;
import clip.io.BadInputException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The images of one split with every caption and, when the dataset has object annotations,
 * a zero-shot label: read from data-prep shards (their manifest names the source, where COCO's
 * instances file gives the labels) or straight from a COCO 2017 root as downloaded.
 */
public record EvalSet(List<Item> items, List<String> classes, String description) {
    /** One image: its file's bytes are read only when the image is embedded. */
    public record Item(long imageId, String file, List<String> captions, int label, Bytes bytes) {
    }

    @FunctionalInterface
    public interface Bytes {
        byte[] read() throws IOException;
    }

    public int captionCount() {
        return items.stream().mapToInt(i -> i.captions().size()).sum();
    }

    /** {@code data} is a data-prep output (has manifest.json) or a COCO 2017 root (has annotations/). */
    public static EvalSet open(String data, String split, int limit, Configuration conf) throws IOException {
        Path root = new Path(data);
        FileSystem fs = root.getFileSystem(conf);
        if (fs.exists(new Path(root, "manifest.json"))) {
            return fromShards(root, split, limit, conf);
        }
        if (fs.exists(new Path(root, "annotations"))) {
            return fromCoco(data, split, limit, conf);
        }
        throw new BadInputException(data + ": neither data-prep shards (no manifest.json) nor a COCO 2017 root (no annotations/)");
    }

    static EvalSet fromShards(Path root, String split, int limit, Configuration conf) throws IOException {
        JsonNode manifest = ShardReader.manifest(root, conf);
        if (manifest.at("/source/format").asText().equals(ImageFolder.FORMAT)) {
            return fromImageFolderShards(root, manifest, split, limit, conf);
        }
        CocoCategories labels = labels(manifest.at("/source/format").asText(), manifest.at("/source/root").asText(), split, conf);
        List<Item> items = new ArrayList<>();
        for (JsonNode entry : ShardReader.entriesOf(manifest, root, split)) {
            if (items.size() == limit) {
                break;
            }
            ShardReader.verify(entry, root, conf);
            for (ShardSchema.Row row : ShardReader.read(new Path(root, entry.path("path").asText()), conf)) {
                if (items.size() == limit) {
                    break;
                }
                items.add(new Item(row.imageId(), row.fileName(), row.captions(), label(labels, row.imageId()), row::jpeg));
            }
        }
        return new EvalSet(items, labels == null ? List.of() : labels.classes(), "shards " + root + " (" + split + ")");
    }

    /** A labelled image folder's shards: an image's label is its class folder, the first part of its file_name. */
    private static EvalSet fromImageFolderShards(Path root, JsonNode manifest, String split, int limit, Configuration conf)
            throws IOException {
        List<String> folders = new ArrayList<>();
        List<String> classes = new ArrayList<>();
        manifest.at("/source/class_folders").forEach(f -> folders.add(f.asText()));
        manifest.at("/source/classes").forEach(c -> classes.add(c.asText()));
        List<Item> items = new ArrayList<>();
        for (Path shard : ShardReader.shardsOf(manifest, root, split)) {
            for (ShardSchema.Row row : ShardReader.read(shard, conf)) {
                if (items.size() == limit) {
                    break;
                }
                items.add(new Item(row.imageId(), row.fileName(), row.captions(),
                        folders.indexOf(ImageFolder.classFolderOf(row.fileName())), row::jpeg));
            }
        }
        return new EvalSet(items, classes, "image folder shards " + root + " (" + split + ")");
    }

    static EvalSet fromCoco(String root, String split, int limit, Configuration conf) throws IOException {
        DatasetListing listing = CocoCaptions.read(root, List.of(split), conf);
        CocoCategories labels = labels("coco", root, split, conf);
        FileSystem fs = new Path(root).getFileSystem(conf);
        List<Item> items = new ArrayList<>();
        for (ImageEntry e : listing.images().subList(0, Math.min(limit, listing.images().size()))) {
            Path file = new Path(root, e.relativePath());
            items.add(new Item(e.id(), e.relativePath(), e.captions().stream().map(Caption::text).toList(), label(labels, e.id()),
                    () -> {
                        try (InputStream in = fs.open(file)) {
                            return in.readAllBytes();
                        }
                    }));
        }
        return new EvalSet(items, labels == null ? List.of() : labels.classes(), "COCO " + root + " (" + split + ")");
    }

    private static CocoCategories labels(String format, String root, String split, Configuration conf) throws IOException {
        if (!format.equals("coco") || !CocoCategories.exists(root, split, conf)) {
            return null;
        }
        return CocoCategories.read(root, split, conf);
    }

    private static int label(CocoCategories labels, long imageId) {
        return labels == null ? -1 : labels.labelOfImage().getOrDefault(imageId, -1);
    }

    /** An evaluation set's images prepared for a model as its image processor would. */
    public EvalInputs inputs(ImagePipeline pipeline) {
        int floats = 3 * pipeline.size() * pipeline.size();
        Embedder.PixelSource pixels = new Embedder.PixelSource() {
            @Override
            public int count() {
                return items().size();
            }

            @Override
            public INDArray pixels(int from, int to) throws IOException {
                float[] buffer = new float[(to - from) * floats];
                for (int i = from; i < to; i++) {
                    EvalSet.Item item = items().get(i);
                    try {
                        pipeline.toChw(item.bytes().read(), buffer, (i - from) * floats);
                    } catch (ImageDecodeException e) {
                        throw new BadInputException("image " + item.imageId() + " (" + item.file() + "): " + e.getMessage());
                    }
                }
                return Nd4j.createFromArray(buffer).reshape(to - from, 3, pipeline.size(), pipeline.size());
            }
        };
        return new EvalInputs(pixels, items().stream().map(EvalSet.Item::captions).toList(),
                items().stream().mapToInt(EvalSet.Item::label).toArray(), classes());
    }
}
