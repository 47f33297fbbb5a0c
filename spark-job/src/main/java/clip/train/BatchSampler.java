package clip.train;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.IntUnaryOperator;

/**
 * Which pairs make up a step's global batch: distinct images drawn without replacement and one
 * of each image's captions, all from a generator seeded by (seed, step). A step's batch thus
 * depends on nothing that ran before it, which is what makes workers agree without talking and a
 * resumed run repeat the same batches.
 */
final class BatchSampler {
    /** Image rows of the global batch and, for each, the index of its caption. */
    record Sample(int[] rows, int[] captions) {
        Sample slice(int from, int count) {
            return new Sample(Arrays.copyOfRange(rows, from, from + count), Arrays.copyOfRange(captions, from, from + count));
        }
    }

    private BatchSampler() {
    }

    /** @param captionsOf number of captions of each image row */
    static Sample sample(long seed, long step, int batchSize, int images, IntUnaryOperator captionsOf) {
        SplittableRandom r = new SplittableRandom(seed ^ (step * 0x9E3779B97F4A7C15L));
        int n = Math.min(batchSize, images);
        int[] order = new int[images];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        for (int i = 0; i < n; i++) {
            int j = i + r.nextInt(order.length - i);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int[] rows = Arrays.copyOf(order, n);
        int[] captions = new int[n];
        for (int i = 0; i < n; i++) {
            captions[i] = r.nextInt(captionsOf.applyAsInt(rows[i]));
        }
        return new Sample(rows, captions);
    }
}
