package clip.cli;

import clip.embed.AnnIndexBuilder;
import clip.embed.AnnManifest;
import clip.embed.EmbeddingIndex;
import clip.embed.Side;
import clip.io.BadInputException;
import java.io.IOException;
import java.io.PrintStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;

/**
 * {@code bin/clip index}: the approximate nearest-neighbour index (HNSW) of an embedding index, for
 * search at scale. A command of its own rather than a step of embed: it runs in one JVM over all
 * the vectors, not as Spark tasks over parts; it can be rebuilt with other settings without
 * embedding again; and it serves indexes embedded before it existed.
 */
public final class IndexCommand implements Command {
    static final int DEFAULT_MIN_ROWS = 10_000;

    @Override
    public String name() {
        return "index";
    }

    @Override
    public String summary() {
        return "build the approximate nearest-neighbour index (HNSW) that bin/clip search uses on a large embedding index";
    }

    @Override
    public String usage() {
        return String.join("\n",
                "usage: bin/clip index --index INDEX [--m M] [--beam-width N] [--min-rows N] [--threads N]",
                "  --index INDEX     output of bin/clip embed (local path or Hadoop URI); writes INDEX/ann/",
                "  --m M             HNSW neighbours per node (default " + AnnIndexBuilder.DEFAULT_M + ")",
                "  --beam-width N    HNSW candidates per insertion (default " + AnnIndexBuilder.DEFAULT_BEAM_WIDTH + ")",
                "  --min-rows N      sides with fewer rows get none and are searched exactly (default " + DEFAULT_MIN_ROWS + ")",
                "  --threads N       threads adding vectors and merging graphs (default: every core)",
                "bin/clip search uses the index when it is present (--exact to read every vector instead).",
                "Running bin/clip embed again on INDEX removes it.");
    }

    @Override
    public int run(Args args, PrintStream out) throws IOException {
        String location = args.required("index");
        AnnIndexBuilder.Settings settings = new AnnIndexBuilder.Settings(args.integer("m", AnnIndexBuilder.DEFAULT_M),
                args.integer("beam-width", AnnIndexBuilder.DEFAULT_BEAM_WIDTH));
        int minRows = args.integer("min-rows", DEFAULT_MIN_ROWS);
        int threads = args.integer("threads", Runtime.getRuntime().availableProcessors());
        args.rejectUnknown();
        if (threads < 1) {
            throw new BadInputException("--threads must be at least 1, not " + threads);
        }
        EmbeddingIndex index = EmbeddingIndex.open(location, new Configuration());
        FileSystem fs = index.root().getFileSystem(index.conf());
        for (Side side : Side.values()) {
            if (!index.has(side)) {
                continue;
            }
            if (index.count(side) < minRows) {
                AnnIndexBuilder.remove(fs, index.root(), side);
                out.printf("index: %s: %d rows, fewer than --min-rows %d: searched exactly, no approximate index%n", side.key(),
                        index.count(side), minRows);
                continue;
            }
            AnnManifest m = AnnIndexBuilder.build(index, side, settings, threads, out);
            long bytes = m.files().values().stream().mapToLong(AnnManifest.AnnFile::bytes).sum();
            out.printf("index: %s: %d vectors of %d, M=%d, beam width %d, in %.1f s: %s (%.1f MB)%n", side.key(), m.rows(), m.dim(),
                    m.m(), m.beamWidth(), m.buildSeconds(), AnnManifest.root(index.root()) + "/" + side.key(), bytes / 1e6);
        }
        return 0;
    }
}
