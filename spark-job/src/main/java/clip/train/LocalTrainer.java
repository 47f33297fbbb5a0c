package clip.train;


import clip.exchange.Collective;
import clip.exchange.InProcessGroup;
import clip.eval.Metrics;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.hadoop.conf.Configuration;

/**
 * Trains on this machine with {@code clip.dist.workers} data-parallel workers (threads with
 * their own model replicas, exchanging through {@link InProcessGroup}): config -> data -> model
 * -> global-batch loss -> sharded AdamW -> model folder and metrics. Rank 0 prints loss,
 * learning rate, throughput and ETA, evaluates, and exports.
 */
public final class LocalTrainer {
    private final TrainConfig config;
    private final PrintStream log;

    public LocalTrainer(TrainConfig config, PrintStream log) {
        this.config = config;
        this.log = log;
    }

    /** Runs the whole job; returns the evaluation metrics that were also written to metrics.json. */
    public Metrics run() throws IOException, InterruptedException {
        Files.createDirectories(config.outputDir());
        Configuration hadoop = new Configuration();
        InProcessGroup group = new InProcessGroup(config.dist().workers(), config.dist().timeoutMillis());
        ExecutorService pool = Executors.newFixedThreadPool(config.dist().workers());
        try {
            List<Future<Metrics>> workers = new ArrayList<>();
            for (int rank = 0; rank < config.dist().workers(); rank++) {
                Collective member = group.member(rank);
                workers.add(pool.submit(() -> new TrainWorker(config, log, hadoop, member.rank(), member.size()).prepare()
                        .train(member, Collections.nCopies(member.size(), "localhost"))));
            }
            Metrics metrics = null;
            for (Future<Metrics> w : workers) {
                Metrics m = get(w);
                metrics = metrics == null ? m : metrics;
            }
            return metrics;
        } finally {
            pool.shutdownNow();
        }
    }

    private static Metrics get(Future<Metrics> f) throws IOException, InterruptedException {
        try {
            return f.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(cause);
        }
    }
}
