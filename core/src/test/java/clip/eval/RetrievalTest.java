package clip.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Recall and ranks on hand-made embeddings with known answers, ties included, and against brute force. */
class RetrievalTest {
    @Test
    void handMadeCaseWithKnownRanks() {
        // 3 images on the axes; captions 0,1 belong to image 0, caption 2 to image 1, caption 3 to image 2.
        INDArray images = Nd4j.createFromArray(new float[][] {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}});
        INDArray captions = Nd4j.createFromArray(new float[][] {
            {0, 1, 0},        // caption of image 0, but closest to image 1: rank 2 among images? (image 0 scores 0, tie with image 2)
            {0.8f, 0.6f, 0},  // caption of image 0, nearest image 0
            {0, 1, 0},        // caption of image 1, exact
            {0.6f, 0, 0.8f},  // caption of image 2, nearest image 2
        });
        Retrieval.Result r = Retrieval.evaluate(images, captions, new int[] {0, 0, 1, 2});
        // text -> image: caption 0 scores (0, 1, 0): image 0 has 0, image 1 beats it, image 2 ties -> rank 3
        assertArrayEquals(new int[] {3, 1, 1, 1}, r.textToImage().ranks());
        // image -> text: image 0 scores captions (0, .8, 0, .6): caption 1 is first -> rank 1
        // image 1 scores (1, .6, 1, 0): its caption 2 ties with caption 0 -> rank 2
        // image 2 scores (0, 0, 0, .8): caption 3 first -> rank 1
        assertArrayEquals(new int[] {1, 2, 1}, r.imageToText().ranks());
        assertEquals(100.0 * 2 / 3, r.imageToText().recallAt(1), 1e-9);
        assertEquals(75.0, r.textToImage().recallAt(1), 1e-9);
        assertEquals(75.0, r.textToImage().recallAt(2), 1e-9);
        assertEquals(100.0, r.textToImage().recallAt(5), 1e-9);
        assertEquals(1.0, r.textToImage().medianRank(), 1e-9);
        assertEquals(1.5, java.util.Arrays.stream(r.textToImage().ranks()).average().orElseThrow(), 1e-9);
    }

    @Test
    void anImageWhoseCaptionsTieWithEachOtherIsFoundFirst() {
        INDArray images = Nd4j.createFromArray(new float[][] {{1, 0}, {0, 1}});
        // image 0 has the same caption twice; image 1's caption ties with them from image 0's side
        INDArray captions = Nd4j.createFromArray(new float[][] {{1, 0}, {1, 0}, {0.6f, 0.8f}});
        assertArrayEquals(new int[] {1, 1}, Retrieval.evaluate(images, captions, new int[] {0, 0, 1}).imageToText().ranks());
        INDArray tied = Nd4j.createFromArray(new float[][] {{1, 0}, {1, 0}, {1, 0}});
        assertArrayEquals(new int[] {2, 3}, Retrieval.evaluate(images, tied, new int[] {0, 0, 1}).imageToText().ranks(),
                "a tie with another image's caption is a miss");
    }

    @Test
    void allEqualScoresEarnNothing() {
        INDArray same = Nd4j.ones(org.nd4j.linalg.api.buffer.DataType.FLOAT, 4, 2);
        Retrieval.Result r = Retrieval.evaluate(same, same, new int[] {0, 1, 2, 3});
        assertEquals(0.0, r.textToImage().recallAt(1));
        assertEquals(4.0, r.textToImage().medianRank());
    }

    @Test
    void matchesBruteForceAcrossBlocks() {
        SplittableRandom rnd = new SplittableRandom(5);
        int ni = 1500;
        int nc = 3000;
        float[][] img = new float[ni][8];
        float[][] cap = new float[nc][8];
        int[] owner = new int[nc];
        for (float[] row : img) {
            for (int j = 0; j < 8; j++) {
                row[j] = (float) rnd.nextGaussian();
            }
        }
        for (int c = 0; c < nc; c++) {
            owner[c] = c % ni;
            for (int j = 0; j < 8; j++) {
                cap[c][j] = img[owner[c]][j] + 2f * (float) rnd.nextGaussian();
            }
        }
        Retrieval.Result r = Retrieval.evaluate(Nd4j.createFromArray(img), Nd4j.createFromArray(cap), owner);
        for (int c = 0; c < nc; c += 97) {
            float s = dot(cap[c], img[owner[c]]);
            int rank = 1;
            for (int i = 0; i < ni; i++) {
                if (i != owner[c] && dot(cap[c], img[i]) >= s) {
                    rank++;
                }
            }
            assertEquals(rank, r.textToImage().ranks()[c], 0, "caption " + c);
        }
    }

    private static float dot(float[] a, float[] b) {
        float s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
