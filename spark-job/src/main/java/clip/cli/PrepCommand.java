package clip.cli;

import clip.prep.source.FaultKind;
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
        return "convert MS-COCO 2017 or Flickr30k (as downloaded) into Parquet training shards";
    }

    @Override
    public String usage() {
        return String.join("\n",
                "usage: bin/clip prep --format coco|flickr30k --root SRC --out DST [options]",
                "  --root SRC              the dataset as downloaded: a local path or any Hadoop URI (hdfs://, file://)",
                "  --out DST               where <split>/part-NNNNN.parquet and manifest.json are written (local or Hadoop URI)",
                "  --image-size N          shorter side of the stored images, aspect kept (default 256)",
                "  --jpeg-quality Q        quality of the re-encoded JPEGs, 1..100 (default 90)",
                "  --images-per-shard N    rows per shard (default: about " + PrepConfig.TARGET_SHARD_MB + " MB of images)",
                "  --splits a,b            splits to convert (coco: train,val; flickr30k: train,val,test,...); default all",
                "  --strict                stop at the first fault, exit non-zero (default: count faults and go on)",
                "  --master URL            Spark master (default local[*]; under spark-submit, the one it was given)",
                "A rerun with the same settings keeps the shards already written and redoes the rest.");
    }

    @Override
    public int run(Args args, PrintStream out) throws Exception {
        int imageSize = args.integer("image-size", 256);
        String splits = args.string("splits", "");
        PrepConfig config = new PrepConfig(args.required("format"), args.required("root"), args.required("out"),
                splits.isBlank() ? List.of() : Arrays.stream(splits.split(",")).map(String::trim).toList(), imageSize,
                args.integer("jpeg-quality", 90), args.integer("images-per-shard", PrepConfig.defaultImagesPerShard(imageSize)),
                args.flag("strict"));
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
