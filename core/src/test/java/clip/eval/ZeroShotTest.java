package clip.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Zero-shot accuracy on hand-made embeddings whose answers are known, ties and the template ensemble included. */
class ZeroShotTest {
    private static final int D = 8;
    private static final int CLASSES = 7;

    private static float[] axis(int i) {
        float[] v = new float[D];
        v[i] = 1;
        return v;
    }

    private static float[] unit(float... v) {
        double n = 0;
        for (float x : v) {
            n += x * x;
        }
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (float) (v[i] / Math.sqrt(n));
        }
        return out;
    }

    /** Two templates per class: class k's prompts both embed to axis k, except class 0's second, which is axis 7. */
    private static INDArray prompts() {
        float[][] rows = new float[CLASSES * 2][];
        for (int k = 0; k < CLASSES; k++) {
            rows[2 * k] = axis(k);
            rows[2 * k + 1] = k == 0 ? axis(7) : axis(k);
        }
        return Nd4j.createFromArray(rows);
    }

    @Test
    void classEmbeddingsAreTheRenormalisedMeanOfTheirPrompts() {
        INDArray classes = ZeroShot.classEmbeddings(prompts(), CLASSES, 2);
        float h = (float) (1 / Math.sqrt(2));
        assertArrayEquals(new float[] {h, 0, 0, 0, 0, 0, 0, h}, classes.getRow(0).toFloatVector(), 1e-6f);
        assertArrayEquals(axis(3), classes.getRow(3).toFloatVector(), 1e-6f);
    }

    @Test
    void topOneAndTopFiveOfKnownImagesWithTiesCountedAgainstTheImage() {
        INDArray classes = ZeroShot.classEmbeddings(prompts(), CLASSES, 2);
        INDArray images = Nd4j.createFromArray(new float[][] {
            axis(2),                                    // class 2, exactly: rank 1
            unit(0, 0, 0, 0.6f, 0.8f, 0, 0, 0),         // class 3, but class 4 scores higher: rank 2
            axis(6),                                    // class 5 scores 0, as do five others (class 6 scores 1): rank 7
            unit(0, 1, 1, 0, 0, 0, 0, 0),               // class 1, tied exactly with class 2: rank 2, not 1
            axis(4),                                    // unlabelled: left out
            axis(7),                                    // class 0, found only through its second template: rank 1
        });
        int[] labels = {2, 3, 5, 1, -1, 0};
        assertArrayEquals(new int[] {1, 2, 7, 2, 1}, ZeroShot.ranks(images, classes, labels).ranks());
        Metrics.ZeroShotAccuracy a = ZeroShot.accuracy(images, classes, labels);
        assertEquals(100.0 * 2 / 5, a.top1(), 1e-9);
        assertEquals(100.0 * 4 / 5, a.top5(), 1e-9);
        assertEquals(CLASSES, a.classes());
    }

    @Test
    void everyClassScoringTheSameEarnsNothing() {
        INDArray same = Nd4j.createFromArray(new float[][] {unit(1, 1), unit(1, 1), unit(1, 1)});
        Metrics.ZeroShotAccuracy a = ZeroShot.accuracy(same.getRows(0, 1), same, new int[] {0, 2});
        assertEquals(0.0, a.top1());
        assertArrayEquals(new int[] {3, 3}, ZeroShot.ranks(same.getRows(0, 1), same, new int[] {0, 2}).ranks());
    }
}
