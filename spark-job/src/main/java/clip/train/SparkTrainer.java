package clip.train;

import clip.exchange.JobSecret;
import clip.exchange.NettyGroup;
import clip.io.BadInputException;
import com.fasterxml.jackson.databind.ObjectMapper;
import clip.eval.Metrics;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Serializable;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.SerializableConfiguration;
import scala.Function1;
import scala.collection.JavaConverters;
import scala.reflect.ClassTag$;

/**
 * Training as one Spark barrier stage: one task per worker, gang-scheduled, so all workers run
 * at once or not at all. Barrier {@code allGather} is used once, for the rendezvous (each task
 * publishes where it listens); every step's exchanges then go straight between the workers over
 * {@link NettyGroup}, authenticated with a secret the driver makes for this job. Each task reads
 * the config and the training shards itself, so the driver ships only text.
 */
public final class SparkTrainer {
    /** Floats per frame on the wire: 4 MB keeps frames well under the decoder's limit. */
    /** Rank 0's console, in the output folder. */
    private static final String LOG_FILE = "train.log";
    private final Config config;
    private final TrainConfig trainConfig;
    private final SparkSession spark;
    private final PrintStream log;

    /** @param config the resolved configuration, whose {@code clip} block the tasks re-read */
    public SparkTrainer(Config config, TrainConfig train, SparkSession spark, PrintStream log) {
        this.config = config;
        this.trainConfig = train;
        this.spark = spark;
        this.log = log;
    }

    /** Runs the job; returns rank 0's evaluation metrics (also in metrics.json under output.dir). */
    public Metrics run() throws IOException {
        int n = trainConfig.dist().workers();
        SparkContext sc = spark.sparkContext();
        Task task = new Task(config.withOnlyPath("clip").root().render(ConfigRenderOptions.concise()), JobSecret.generate(),
                new SerializableConfiguration(sc.hadoopConfiguration()));
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(sc);
        JavaRDD<Integer> ranks = jsc.parallelize(IntStream.range(0, n).boxed().toList(), n);
        Function1<scala.collection.Iterator<Integer>, scala.collection.Iterator<String>> body =
                (Function1<scala.collection.Iterator<Integer>, scala.collection.Iterator<String>> & Serializable) task::apply;
        Path logFile = trainConfig.outputDir().resolve(LOG_FILE);
        Files.deleteIfExists(logFile);
        boolean resumes = trainConfig.train().checkpointEvery() > 0 && trainConfig.train().resume() == TrainConfig.Resume.AUTO;
        TaskFailures failures = new TaskFailures();
        sc.addSparkListener(failures);
        try (LogFollower follower = new LogFollower(logFile, log)) {
            for (int attempt = 0; ; attempt++) {
                awaitSlots(sc, n);
                failures.reset();
                jsc.setJobDescription("clip train: " + n + " workers, " + trainConfig.train().steps() + " steps"
                        + (attempt > 0 ? " (restart " + attempt + ")" : ""));
                try {
                    List<String> results = JavaRDD.fromRDD(ranks.rdd().barrier().mapPartitions(body, false,
                            ClassTag$.MODULE$.apply(String.class)), ClassTag$.MODULE$.apply(String.class)).collect();
                    return metricsOf(results);
                } catch (Exception e) {
                    // Scala throws SparkException (checked) without declaring it.
                    RuntimeException failure = unwrap(e, n, failures.await(sc));
                    if (failure instanceof BadInputException || attempt >= trainConfig.dist().maxRestarts()) {
                        throw failure;
                    }
                    // Spark never reruns a failed barrier result stage itself; a lost executor or peer is worth a restart.
                    log.printf("train: the workers failed (%s); restarting them %s (restart %d of %d)%n",
                            failure.getMessage().replaceFirst("^training failed: ", ""),
                            resumes ? "from the last checkpoint" : "from step 0 (no checkpoints: set clip.train.checkpoint-every)",
                            attempt + 1, trainConfig.dist().maxRestarts());
                }
            }
        } finally {
            sc.removeSparkListener(failures);
        }
    }

    private static Metrics metricsOf(List<String> results) throws IOException {
        for (String r : results) {
            if (!r.isEmpty()) {
                return Metrics.fromJson(new ObjectMapper().readTree(r), "worker 0's metrics");
            }
        }
        throw new IllegalStateException("no worker returned the evaluation metrics");
    }

    /**
     * A barrier stage submitted before enough executors registered is refused and retried only
     * after Spark's 15 s back-off; a cluster that was just started (SLURM, standalone scripts)
     * registers its executors a few seconds after the application starts, so wait for them here.
     * Spark's count of concurrent task slots is package-private in Scala (public in bytecode);
     * if a Spark version lacks it, Spark's own retries take over.
     */
    private void awaitSlots(SparkContext sc, int workers) {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(trainConfig.dist().timeoutMillis());
        long lastReport = System.nanoTime();
        try {
            var profile = sc.resourceProfileManager().defaultResourceProfile();
            for (int slots = sc.maxNumConcurrentTasks(profile); slots < workers && System.nanoTime() < deadline;
                    slots = sc.maxNumConcurrentTasks(profile)) {
                if (System.nanoTime() - lastReport > 5_000_000_000L) {
                    log.printf("train: waiting for executors: %d of %d task slots registered%n", slots, workers);
                    lastReport = System.nanoTime();
                }
                Thread.sleep(100);
            }
        } catch (LinkageError e) {
            // another Spark version: submit and let the scheduler retry
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A task failure reaches the driver wrapped in Spark's job failure; a user error should read as
     * itself, and a failure no restart can heal is reported at once.
     *
     * @param task the failing task's own error, from the listener bus, or null
     */
    private static RuntimeException unwrap(Exception e, int workers, TaskFailures.Failure task) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BadInputException bad) {
                return bad;
            }
        }
        if (task != null) {
            return task.retryable() ? new IllegalStateException("training failed: " + task.message(), e)
                    : new BadInputException(task.message());
        }
        String first = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
        if (first.contains("more slots than the total number of slots")) {
            return new BadInputException("clip.dist.workers = " + workers + " needs that many free task slots at once"
                    + " (barrier stage); the cluster has fewer: lower the workers or add executors");
        }
        return new IllegalStateException("training failed: " + first, e);
    }

    /** What each barrier task runs; serializable and free of the driver's objects. */
    private record Task(String configText, JobSecret secret, SerializableConfiguration hadoop)
            implements Serializable {
        scala.collection.Iterator<String> apply(scala.collection.Iterator<Integer> ignored) {
            BarrierTaskContext ctx = BarrierTaskContext.get();
            TrainConfig config = TrainConfig.from(ConfigFactory.parseString(configText));
            int rank = ctx.partitionId();
            String host = config.dist().listenHost().isBlank() ? executorHost(ctx, rank) : config.dist().listenHost();
            String result;
            // Rank 0's progress goes to a file in the output folder, which the driver echoes.
            try (PrintStream log = rank == 0 ? new PrintStream(Files.newOutputStream(config.outputDir().resolve(LOG_FILE),
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND), true, StandardCharsets.UTF_8) : null;
                 NettyGroup group = NettyGroup.listen(rank, config.dist().workers(), secret,
                    new InetSocketAddress(host, config.dist().port()), config.dist().timeoutMillis(), NettyGroup.CHUNK_FLOATS)) {
                // Prepared before the rendezvous: workers wait for the slowest to load its data
                // (or run its towers) at Spark's barrier, which has no exchange deadline.
                TrainWorker worker = new TrainWorker(config, log != null ? log : System.out, hadoop.value(), rank,
                        config.dist().workers()).prepare();
                String[] published = ctx.allGather(host + ":" + group.address().getPort());
                List<InetSocketAddress> peers = new ArrayList<>();
                for (String p : published) {
                    int colon = p.lastIndexOf(':');
                    peers.add(new InetSocketAddress(p.substring(0, colon), Integer.parseInt(p.substring(colon + 1))));
                }
                group.connect(peers);
                Metrics metrics = worker.train(group, peers.stream().map(InetSocketAddress::getHostString).toList());
                result = metrics == null ? "" : metrics.toJson().toString();
            } catch (IOException e) {
                throw new IllegalStateException("worker " + rank + ": " + e.getMessage(), e);
            }
            return JavaConverters.asScalaIterator(List.of(result).iterator());
        }

        private static String executorHost(BarrierTaskContext ctx, int rank) {
            String address = ctx.getTaskInfos()[rank].address();
            int colon = address.lastIndexOf(':');
            return colon > 0 ? address.substring(0, colon) : address;
        }
    }
}
