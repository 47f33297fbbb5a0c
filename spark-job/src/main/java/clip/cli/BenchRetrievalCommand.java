package clip.cli;

import clip.eval.Retrieval;
import clip.bench.RandomEmbeddings;
import java.io.PrintStream;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * {@code bin/clip bench-retrieval}: the cost of ranking once embeddings exist, at the COCO 5k
 * protocol's size by default (5,000 images, 25,000 captions), on random unit vectors.
 */
public final class BenchRetrievalCommand implements Command {
    @Override
    public String name() {
        return "bench-retrieval";
    }

    @Override
    public String summary() {
        return "time retrieval ranking (both directions) at the COCO 5k size on random embeddings";
    }

    @Override
    public String usage() {
        return String.join("\n",
                "usage: bin/clip bench-retrieval [--images N] [--captions-per-image K] [--dim D]",
                "  defaults: 5000 images, 5 captions each (25,000), 512 dimensions (ViT-B CLIP's embedding size)",
                "prints one JSON line: seconds for the whole ranking and per 1,000 queries (a query: an image or a caption)");
    }

    @Override
    public int run(Args args, PrintStream out) {
        int images = args.integer("images", 5000);
        int perImage = args.integer("captions-per-image", 5);
        int dim = args.integer("dim", 512);
        args.rejectUnknown();
        Random rng = Nd4j.getRandomFactory().getNewRandomInstance(7);
        INDArray img = RandomEmbeddings.unitRows(rng, images, dim);
        INDArray txt = RandomEmbeddings.unitRows(rng, (long) images * perImage, dim);
        int[] owner = new int[images * perImage];
        for (int i = 0; i < owner.length; i++) {
            owner[i] = i / perImage;
        }
        // Warm-up on a slice: JIT and ND4J's first-call costs are not the ranking's.
        Retrieval.evaluate(img.get(NDArrayIndex.interval(0, 100), NDArrayIndex.all()),
                txt.get(NDArrayIndex.interval(0, 100 * perImage), NDArrayIndex.all()),
                Arrays.copyOf(owner, 100 * perImage));
        long start = System.nanoTime();
        Retrieval.evaluate(img, txt, owner);
        double seconds = (System.nanoTime() - start) / 1e9;
        int queries = images + owner.length;
        out.printf("{\"images\":%d,\"captions\":%d,\"dim\":%d,\"seconds\":%.3f,\"seconds_per_1000_queries\":%.4f}%n", images,
                owner.length, dim, seconds, 1000 * seconds / queries);
        return 0;
    }
}
