package clip.cli;

import clip.embed.EmbedConfig;
import clip.embed.EmbedJob;
import clip.embed.PartSummary;
import clip.embed.Side;
import clip.spark.SparkSessions;
import java.io.PrintStream;
import org.apache.spark.sql.SparkSession;

/** {@code bin/clip embed}: image and caption embeddings of a whole data-prep split, as a Spark job, into a searchable index. */
public final class EmbedCommand implements Command {
    @Override
    public String name() {
        return "embed";
    }

    @Override
    public String summary() {
        return "embed every image and caption of a data-prep split into a Parquet index (Spark)";
    }

    @Override
    public String usage() {
        return String.join("\n",
                "usage: bin/clip embed --model DIR --data SHARDS --out INDEX [options]",
                "  --model DIR            an HF CLIPModel or VisionTextDualEncoderModel folder (local, or a Hadoop URI on a cluster)",
                "  --data SHARDS          data-prep output (manifest.json and shards); local path or Hadoop URI",
                "  --out INDEX            where images/, texts/ (part-NNNNN.parquet) and manifest.json are written",
                "  --split NAME           the split to embed (default val)",
                "  --what image|text|both which embeddings to compute (default both)",
                "  --batch N              images or captions per forward pass (default 64)",
                "  --rows-per-part N      images per part, the work of one Spark task (default 500)",
                "  --max-text-length N    BERT captions are cut at N tokens (default 64; CLIP models use their 77)",
                "  --master URL           Spark master (default local[*]; under spark-submit, the one it was given)",
                "Embeddings are L2-normalised. A rerun with the same model, data and settings keeps the parts already written.",
                "ND4J's threads per task follow OMP_NUM_THREADS: with local[N], set it to cores / N.");
    }

    @Override
    public int run(Args args, PrintStream out) throws Exception {
        EmbedConfig config = new EmbedConfig(args.required("model"), args.required("data"), args.required("out"),
                args.string("split", "val"), Side.parse(args.string("what", "both")), args.integer("batch", 64),
                args.integer("rows-per-part", 500), args.integer("max-text-length", 64));
        String master = args.string("master", null);
        args.rejectUnknown();
        SparkSession spark = SparkSessions.getOrCreate("clip embed", master);
        try {
            report(new EmbedJob(config, spark, out).run(), config, out);
        } finally {
            spark.stop();
        }
        return 0;
    }

    private static void report(EmbedJob.Result r, EmbedConfig config, PrintStream out) {
        int parts = r.manifest().parts().size();
        out.printf("embed: wrote %s: %d images, %d captions, %d-dim, %d parts (%d embedded now, %d kept from an earlier run)%n",
                config.out(), r.manifest().count(Side.IMAGES), r.manifest().count(Side.TEXTS), r.manifest().dim(), parts,
                r.written().size(), parts - r.written().size());
        if (r.written().isEmpty()) {
            return;
        }
        long images = r.written().stream().mapToLong(s -> s.rows(Side.IMAGES)).sum();
        long captions = r.written().stream().mapToLong(s -> s.rows(Side.TEXTS)).sum();
        double imageSeconds = r.written().stream().mapToDouble(PartSummary::imageSeconds).sum();
        double textSeconds = r.written().stream().mapToDouble(PartSummary::textSeconds).sum();
        StringBuilder line = new StringBuilder("embed: this run, per task:");
        if (images > 0) {
            line.append(String.format(" %.1f images/s", images / imageSeconds));
        }
        if (captions > 0) {
            line.append(String.format("%s %.1f captions/s", images > 0 ? "," : "", captions / textSeconds));
        }
        out.printf("%s; %.1f embeddings/s overall (%d in %.1f s, Spark and model loading included)%n", line, (images + captions)
                / r.seconds(), images + captions, r.seconds());
    }
}
