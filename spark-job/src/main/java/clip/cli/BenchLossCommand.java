package clip.cli;

import clip.bench.PeakMemory;
import clip.bench.RandomEmbeddings;
import clip.io.BadInputException;
import clip.loss.ClipLoss;
import clip.loss.ContrastiveLoss;
import clip.loss.SigLipLoss;
import java.io.PrintStream;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * {@code bin/clip bench-loss}: what the contrastive loss costs one data-parallel worker, with the
 * whole global batch's loss ({@code loss.local=false}) and with only its rows of it (the default),
 * on random unit embeddings. No exchange: only the loss and its gradients.
 */
public final class BenchLossCommand implements Command {
    @Override
    public String name() {
        return "bench-loss";
    }

    @Override
    public String summary() {
        return "time one worker's contrastive loss and gradients: its rows (loss.local) against the whole batch";
    }

    @Override
    public String usage() {
        return String.join("\n",
                "usage: bin/clip bench-loss [--batch N] [--workers W] [--dim D] [--kind clip|siglip]",
                "  defaults: global batch 4096, 8 workers (rows 0 .. N/W are the measured worker's), 512 dimensions, clip",
                "prints one JSON line: seconds of the local share and of the whole-batch loss (local first), and the",
                "process's peak RSS in MiB after each");
    }

    @Override
    public int run(Args args, PrintStream out) {
        int n = args.integer("batch", 4096);
        int workers = args.integer("workers", 8);
        int dim = args.integer("dim", 512);
        String kind = args.string("kind", "clip");
        args.rejectUnknown();
        if (n <= 0 || workers <= 0 || dim <= 0 || n % workers != 0) {
            throw new BadInputException("bench-loss: --batch must be a positive multiple of --workers, and --dim positive");
        }
        if (!kind.equals("clip") && !kind.equals("siglip")) {
            throw new BadInputException("bench-loss: --kind must be clip or siglip, got '" + kind + "'");
        }
        ContrastiveLoss loss = kind.equals("clip") ? new ClipLoss() : new SigLipLoss();
        Random rng = Nd4j.getRandomFactory().getNewRandomInstance(7);
        INDArray img = RandomEmbeddings.unitRows(rng, n, dim);
        INDArray txt = RandomEmbeddings.unitRows(rng, n, dim);
        int b = n / workers;
        INDArray myImages = img.get(NDArrayIndex.interval(0, b), NDArrayIndex.all()).dup();
        INDArray myTexts = txt.get(NDArrayIndex.interval(0, b), NDArrayIndex.all()).dup();
        // Warm-up on a small batch: JIT and ND4J's first-call costs are not the loss's.
        loss.compute(img.get(NDArrayIndex.interval(0, 64), NDArrayIndex.all()),
                txt.get(NDArrayIndex.interval(0, 64), NDArrayIndex.all()), Math.log(20), -10);
        long start = System.nanoTime();
        double share = loss.computeShare(myImages, myTexts, loss.shareReadsAllImages() ? img : null, txt, 0,
                Math.log(20), -10).loss();
        double localSeconds = (System.nanoTime() - start) / 1e9;
        long localRss = PeakMemory.peakRssMib();
        start = System.nanoTime();
        double whole = loss.compute(img, txt, Math.log(20), -10).loss();
        double globalSeconds = (System.nanoTime() - start) / 1e9;
        long globalRss = PeakMemory.peakRssMib();
        out.printf("{\"kind\":\"%s\",\"batch\":%d,\"workers\":%d,\"dim\":%d,\"local_seconds\":%.3f,\"local_peak_rss_mib\":%d,"
                        + "\"global_seconds\":%.3f,\"global_peak_rss_mib\":%d,\"local_share\":%.6f,\"global_loss\":%.6f}%n",
                kind, n, workers, dim, localSeconds, localRss, globalSeconds, globalRss, share, whole);
        return 0;
    }
}
