package clip.cli;

import clip.io.BadInputException;
import clip.prep.source.FaultKind;
import clip.prep.source.ImageFolder;
import clip.prep.source.ImageFolderOptions;
import clip.prep.Manifest;
import clip.prep.PrepConfig;
import clip.prep.PrepJob;
import clip.spark.SparkSessions;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.SparkSession;

/** {@code bin/clip prep}: a dataset as downloaded into Parquet training shards and a manifest. */
public final class PrepCommand implements Command {
    @Override
    public String name() {
        return "prep";
    }

    @Override
    public String summary() {
        return "convert MS-COCO 2017, Flickr30k (as downloaded) or a labelled image folder into Parquet training shards";
    }

    @Override
    public String usage() {
        return String.join("\n",
                "usage: bin/clip prep --format coco|flickr30k|imagefolder --root SRC --out DST [options]",
                "  --root SRC              the dataset as downloaded: a local path or any Hadoop URI (hdfs://, file://)",
                "  --out DST               where <split>/part-NNNNN.parquet and manifest.json are written (local or Hadoop URI)",
                "  --image-size N          shorter side of the stored images, aspect kept (default 256)",
                "  --jpeg-quality Q        quality of the re-encoded JPEGs, 1..100 (default 90)",
                "  --images-per-shard N    rows per shard (default: about " + PrepConfig.TARGET_SHARD_MB + " MB of images)",
                "  --splits a,b            splits to convert (coco: train,val; flickr30k: train,val,test,...); default all",
                "  --strict                stop at the first fault, exit non-zero (default: count faults and go on)",
                "  --master URL            Spark master (default local[*]; under spark-submit, the one it was given)",
                "imagefolder (torchvision's layout: SRC/[train|val|test/]CLASS/.../IMAGE):",
                "  --templates FILE        caption templates, one a line, {class} for the class name (default \""
                        + ImageFolderOptions.DEFAULT_TEMPLATE + "\")",
                "  --class-names FILE      lines of FOLDER NAME (default: folder names, underscores as spaces)",
                "  --val-fraction F        without split folders: this share of each class goes to val (default 0)",
                "  --seed N                of that draw (default 0)",
                "A rerun with the same settings keeps the shards already written and redoes the rest.");
    }

    @Override
    public int run(Args args, PrintStream out) throws Exception {
        int imageSize = args.integer("image-size", 256);
        String splits = args.string("splits", "");
        String format = args.required("format");
        PrepConfig config = new PrepConfig(format, args.required("root"), args.required("out"),
                splits.isBlank() ? List.of() : Arrays.stream(splits.split(",")).map(String::trim).toList(), imageSize,
                args.integer("jpeg-quality", 90), args.integer("images-per-shard", PrepConfig.defaultImagesPerShard(imageSize)),
                args.flag("strict"), format.equals(ImageFolder.FORMAT) ? folderOptions(args) : null);
        String master = args.string("master", null);
        args.rejectUnknown();
        SparkSession spark = SparkSessions.getOrCreate("clip prep", master);
        try {
            Manifest m = new PrepJob(config, spark, out).run();
            report(m, config, out);
        } finally {
            spark.stop();
        }
        return 0;
    }

    private static ImageFolderOptions folderOptions(Args args) throws java.io.IOException {
        List<String> templates = List.of(ImageFolderOptions.DEFAULT_TEMPLATE);
        if (args.has("templates")) {
            java.nio.file.Path file = args.path("templates");
            if (!java.nio.file.Files.isRegularFile(file)) {
                throw new BadInputException(file + ": no such templates file");
            }
            templates = java.nio.file.Files.readAllLines(file).stream().map(String::strip)
                    .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        }
        String fraction = args.string("val-fraction", "0");
        try {
            return new ImageFolderOptions(templates, args.string("class-names", null), Double.parseDouble(fraction),
                    args.integer("seed", 0));
        } catch (NumberFormatException e) {
            throw new BadInputException("--val-fraction must be a number, not '" + fraction + "'");
        }
    }

    private static void report(Manifest m, PrepConfig config, PrintStream out) {
        out.printf("prep: wrote %d images and %d captions in %d shards to %s%n", m.imagesWritten(), m.captionsWritten(),
                m.shards().size(), config.out());
        out.printf("prep: rejected %d images and %d captions%n", m.imagesRejected(), m.captionsRejected());
        Map<String, Integer> byKind = new TreeMap<>();
        m.faults().forEach(f -> byKind.merge(f.kind().key(), 1, Integer::sum));
        for (FaultKind k : FaultKind.values()) {
            if (byKind.containsKey(k.key())) {
                out.printf("prep:   %-24s %d%n", k.key(), byKind.get(k.key()));
            }
        }
        m.faults().stream().limit(20).forEach(f -> out.println("prep:   " + f.line()));
        if (m.faults().size() > 20) {
            out.println("prep:   ... " + (m.faults().size() - 20) + " more in manifest.json");
        }
    }
}
