package clip.cli;

import clip.embed.AnnIndex;
import clip.embed.AnnIndexBuilder;
import clip.embed.AnnManifest;
import clip.embed.EmbeddingIndex;
import clip.embed.GeneratedIndex;
import clip.embed.Side;
import clip.io.BadInputException;
import clip.io.LocalFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code bin/clip bench-ann}: the approximate index against the exact search on generated unit
 * vectors written as an embedding index: build time, index size, query latency (median, p99) and
 * recall@10 against the true nearest ten, and the exact search's latency on the same index.
 */
public final class BenchAnnCommand implements Command {
    private static final int K = 10;
    private static final int ROWS_PER_PART = 10_000;

    @Override
    public String name() {
        return "bench-ann";
    }

    @Override
    public String summary() {
        return "time and recall of the approximate index (bin/clip index) against exact search on generated vectors";
    }

    @Override
    public String usage() {
        return String.join("\n",
                "usage: bin/clip bench-ann --work DIR [--rows N] [--dim D] [--clusters C] [--spread S] [--queries Q]",
                "       [--exact-queries E] [--m M] [--beam-width N] [--candidates N[,N...]] [--threads N] [--seed S]",
                "  --work DIR         scratch folder for the generated index (replaced)",
                "  --rows N           vectors (default 100000), written as an index in parts of " + ROWS_PER_PART,
                "  --dim D            dimensions (default 512, ViT-B CLIP's embedding size)",
                "  --clusters C       unit vectors around C random centres (default 1000; 1 with a large spread: uniform)",
                "  --spread S         noise norm around a centre, before normalising (default 1.0)",
                "  --queries Q        approximate queries timed and scored for recall@10 (default 1000; drawn like the rows)",
                "  --exact-queries E  of those, how many the exact search (bin/clip search --exact) also runs (default 10)",
                "  --m, --beam-width, --threads: as bin/clip index; --candidates: as bin/clip search, one or more (their defaults)",
                "prints one JSON line");
    }

    @Override
    public int run(Args args, PrintStream out) throws IOException {
        java.nio.file.Path work = Paths.get(args.required("work"));
        long rows = args.integer("rows", 100_000);
        GeneratedIndex.Vectors vectors = new GeneratedIndex.Vectors(args.integer("seed", 17), args.integer("dim", 512),
                args.integer("clusters", 1000), Double.parseDouble(args.string("spread", "1.0")));
        int queries = args.integer("queries", 1000);
        int exactQueries = args.integer("exact-queries", 10);
        AnnIndexBuilder.Settings settings = new AnnIndexBuilder.Settings(args.integer("m", AnnIndexBuilder.DEFAULT_M),
                args.integer("beam-width", AnnIndexBuilder.DEFAULT_BEAM_WIDTH));
        int[] candidateCounts = Arrays.stream(args.string("candidates", String.valueOf(SearchCommand.DEFAULT_CANDIDATES)).split(","))
                .mapToInt(Integer::parseInt).toArray();
        int threads = args.integer("threads", Runtime.getRuntime().availableProcessors());
        args.rejectUnknown();
        if (rows < K || queries < 1 || exactQueries > queries) {
            throw new BadInputException("need --rows of at least " + K + ", --queries of at least 1 and --exact-queries at most --queries");
        }
        LocalFiles.deleteTree(work);
        Files.createDirectories(work);
        Configuration conf = new Configuration();
        long start = System.nanoTime();
        GeneratedIndex.write(new Path(work.toUri()), vectors, rows, ROWS_PER_PART, conf);
        double generateSeconds = seconds(start);
        EmbeddingIndex index = EmbeddingIndex.open(work.toString(), conf);
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        AnnManifest built = AnnIndexBuilder.build(index, Side.IMAGES, settings, threads, quiet);
        long bytes = built.files().values().stream().mapToLong(AnnManifest.AnnFile::bytes).sum();

        float[][] q = new float[queries][];
        for (int i = 0; i < queries; i++) {
            q[i] = vectors.query(i);
        }
        long[][] truth = trueNearest(vectors, rows, q);
        StringBuilder approximate = new StringBuilder();
        try (AnnIndex ann = AnnIndex.open(index, Side.IMAGES)) {
            for (int i = 0; i < Math.min(queries, 200); i++) { // warm-up: the JIT's and the page cache's first costs
                ann.nearest(q[i], K, candidateCounts[0]);
            }
            for (int candidates : candidateCounts) {
                double[] annMs = new double[queries];
                double recall = 0;
                for (int i = 0; i < queries; i++) {
                    long t = System.nanoTime();
                    List<EmbeddingIndex.Hit> hits = ann.nearest(q[i], K, candidates);
                    annMs[i] = seconds(t) * 1000;
                    recall += overlap(hits, truth[i]) / (double) K;
                }
                approximate.append(approximate.length() == 0 ? "" : ",").append(String.format(
                        "{\"candidates\":%d,\"ms_median\":%.2f,\"ms_p99\":%.2f,\"recall_at_10\":%.4f}", candidates,
                        percentile(annMs, 50), percentile(annMs, 99), recall / queries));
            }
        }
        double[] exactMs = new double[exactQueries];
        int exactAgrees = 0;
        for (int i = 0; i < exactQueries; i++) {
            INDArray query = Nd4j.create(q[i], new long[] {1, vectors.dim()}, DataType.FLOAT);
            long t = System.nanoTime();
            List<EmbeddingIndex.Hit> hits = index.nearest(query, Side.IMAGES, K);
            exactMs[i] = seconds(t) * 1000;
            exactAgrees += overlap(hits, truth[i]) == K ? 1 : 0;
        }
        out.printf("{\"rows\":%d,\"dim\":%d,\"clusters\":%d,\"spread\":%s,\"m\":%d,\"beam_width\":%d,\"threads\":%d,"
                        + "\"generate_s\":%.1f,\"build_s\":%.1f,\"index_mb\":%.1f,\"parquet_mb\":%.1f,\"queries\":%d,"
                        + "\"approximate\":[%s],\"exact_queries\":%d,\"exact_ms_median\":%.1f,\"exact_ms_p99\":%.1f,"
                        + "\"exact_equals_truth\":%d}%n",
                rows, vectors.dim(), vectors.clusters(), vectors.spread(), settings.m(), settings.beamWidth(), threads, generateSeconds,
                built.buildSeconds(), bytes / 1e6, parquetBytes(work) / 1e6, queries, approximate, exactQueries,
                percentile(exactMs, 50), percentile(exactMs, 99), exactAgrees);
        return 0;
    }

    /** The ids of each query's true ten nearest rows, by matrix products over blocks of regenerated rows. */
    private static long[][] trueNearest(GeneratedIndex.Vectors vectors, long rows, float[][] q) {
        int dim = vectors.dim();
        float[] flatQ = new float[q.length * dim];
        for (int i = 0; i < q.length; i++) {
            System.arraycopy(q[i], 0, flatQ, i * dim, dim);
        }
        INDArray queries = Nd4j.create(flatQ, new long[] {q.length, dim}, DataType.FLOAT);
        float[][] bestScore = new float[q.length][K];
        long[][] bestId = new long[q.length][K];
        for (float[] s : bestScore) {
            Arrays.fill(s, Float.NEGATIVE_INFINITY);
        }
        for (long first = 0; first < rows; first += ROWS_PER_PART) {
            int n = (int) Math.min(ROWS_PER_PART, rows - first);
            float[] block = new float[n * dim];
            for (int i = 0; i < n; i++) {
                System.arraycopy(vectors.row(first + i), 0, block, i * dim, dim);
            }
            INDArray keys = Nd4j.create(block, new long[] {n, dim}, DataType.FLOAT);
            float[] scores = new float[q.length * n];
            Nd4j.gemm(queries, keys, false, true).dup('c').data().asNioFloat().get(scores);
            for (int i = 0; i < q.length; i++) {
                for (int j = 0; j < n; j++) {
                    insert(bestScore[i], bestId[i], scores[i * n + j], first + j);
                }
            }
        }
        return bestId;
    }

    /** Keeps the K best in descending order; an equal score keeps the earlier row, as the exact search does. */
    private static void insert(float[] score, long[] id, float s, long row) {
        if (s <= score[K - 1]) {
            return;
        }
        int at = K - 1;
        while (at > 0 && score[at - 1] < s) {
            score[at] = score[at - 1];
            id[at] = id[at - 1];
            at--;
        }
        score[at] = s;
        id[at] = row;
    }

    private static int overlap(List<EmbeddingIndex.Hit> hits, long[] truth) {
        Set<Long> ids = new HashSet<>();
        hits.forEach(h -> ids.add(h.imageId()));
        int n = 0;
        for (long id : truth) {
            n += ids.contains(id) ? 1 : 0;
        }
        return n;
    }

    private static double percentile(double[] values, int p) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }

    private static long parquetBytes(java.nio.file.Path work) throws IOException {
        List<java.nio.file.Path> files = new ArrayList<>();
        try (var s = Files.list(work.resolve(Side.IMAGES.key()))) {
            s.forEach(files::add);
        }
        long total = 0;
        for (java.nio.file.Path f : files) {
            total += Files.size(f);
        }
        return total;
    }

    private static double seconds(long start) {
        return (System.nanoTime() - start) / 1e9;
    }
}
