package clip.eval;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Image-to-text and text-to-image retrieval over every caption of every image (the COCO
 * protocol). Image-to-text: an image's rank is its best caption's rank among the other images' captions.
 * Text-to-image: a caption's rank is its image's rank.
 *
 * <p>Ties count against the query: the rank of the right item is 1 + the number of other
 * items scoring at least as high, so a model that scores everything equal gets no credit.
 * Similarities are computed in blocks of queries, so 5,000 x 25,000 never needs the full
 * matrix at once.
 */
public final class Retrieval {
    private static final int BLOCK = 1024;

    private Retrieval() {
    }

    /** Both directions' results. */
    public record Result(Ranks imageToText, Ranks textToImage) {
    }

    /**
     * @param images [Ni, D] L2-normalised
     * @param captions [Nc, D] L2-normalised
     * @param imageOfCaption for each caption, the row of its image
     */
    public static Result evaluate(INDArray images, INDArray captions, int[] imageOfCaption) {
        int ni = (int) images.size(0);
        int nc = (int) captions.size(0);
        if (imageOfCaption.length != nc) {
            throw new IllegalArgumentException(nc + " captions but " + imageOfCaption.length + " image indices");
        }
        int[][] captionsOf = captionsOfImages(imageOfCaption, ni);
        int[] imageRanks = new int[ni];
        int[] captionRanks = new int[nc];
        for (int start = 0; start < ni; start += BLOCK) {
            int end = Math.min(ni, start + BLOCK);
            float[] scores = block(images, captions, start, end);
            for (int i = start; i < end; i++) {
                int offset = (i - start) * nc;
                // An image is found at the rank of its best caption; the pessimistic count makes any tie with
                // another image's caption a miss (its own captions are right answers, not competitors).
                int best = -1;
                for (int c : captionsOf[i]) {
                    if (best < 0 || scores[offset + c] > scores[offset + best]) {
                        best = c;
                    }
                }
                imageRanks[i] = best < 0 ? Integer.MAX_VALUE : rankAmongOthers(scores, offset, imageOfCaption, i, best);
            }
        }
        for (int start = 0; start < nc; start += BLOCK) {
            int end = Math.min(nc, start + BLOCK);
            float[] scores = block(captions, images, start, end);
            for (int c = start; c < end; c++) {
                captionRanks[c] = rank(scores, (c - start) * ni, ni, imageOfCaption[c]);
            }
        }
        return new Result(new Ranks(imageRanks), new Ranks(captionRanks));
    }

    private static int[][] captionsOfImages(int[] imageOfCaption, int images) {
        int[] counts = new int[images];
        for (int i : imageOfCaption) {
            counts[i]++;
        }
        int[][] out = new int[images][];
        for (int i = 0; i < images; i++) {
            out[i] = new int[counts[i]];
        }
        int[] filled = new int[images];
        for (int c = 0; c < imageOfCaption.length; c++) {
            out[imageOfCaption[c]][filled[imageOfCaption[c]]++] = c;
        }
        return out;
    }

    /** Scores of queries [start, end) against every key, row-major in one array (one bulk copy out of ND4J). */
    private static float[] block(INDArray queries, INDArray keys, int start, int end) {
        INDArray q = queries.get(NDArrayIndex.interval(start, end), NDArrayIndex.all()).dup('c');
        INDArray scores = Nd4j.gemm(q, keys, false, true).castTo(DataType.FLOAT);
        float[] out = new float[(int) scores.length()];
        clip.layers.RowMajor.floats(scores).get(out);
        return out;
    }

    /** 1 + the number of captions of images other than {@code image} scoring at least as high as caption {@code target}. */
    private static int rankAmongOthers(float[] scores, int offset, int[] imageOfCaption, int image, int target) {
        float s = scores[offset + target];
        int rank = 1;
        for (int j = 0; j < imageOfCaption.length; j++) {
            if (imageOfCaption[j] != image && scores[offset + j] >= s) {
                rank++;
            }
        }
        return rank;
    }

    /** 1 + the number of other entries of the row at {@code offset} scoring at least as high as entry {@code target}. */
    static int rank(float[] scores, int offset, int length, int target) {
        float s = scores[offset + target];
        int rank = 1;
        for (int j = 0; j < length; j++) {
            if (j != target && scores[offset + j] >= s) {
                rank++;
            }
        }
        return rank;
    }
}
