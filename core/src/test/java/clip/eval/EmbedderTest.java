package clip.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import clip.io.BadInputException;
import clip.layers.StepMemory;
import clip.model.ContrastiveModel;
import clip.testutil.TinyDualEncoder;
import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** The next batch's pixels are made on another thread: the embeddings must not change, and its failures must reach the caller. */
class EmbedderTest {
    private static final int IMAGES = 10;

    private static Embedder.PixelSource source(INDArray pixels, int failAt) {
        return new Embedder.PixelSource() {
            @Override
            public int count() {
                return IMAGES;
            }

            @Override
            public INDArray pixels(int from, int to) throws IOException {
                if (from == failAt) {
                    throw new BadInputException("image " + from + ": not a JPEG");
                }
                return pixels.get(NDArrayIndex.interval(from, to)).dup('c');
            }
        };
    }

    @Test
    void prefetchedBatchesGiveTheForwardPassesBits() throws IOException {
        ContrastiveModel model = TinyDualEncoder.model(5, null);
        INDArray pixels = TinyDualEncoder.pixels(6, IMAGES);
        INDArray embedded = new Embedder(model, null, 4, "test", null).images(source(pixels, -1));
        assertEquals(IMAGES, embedded.size(0));
        for (int from = 0; from < IMAGES; from += 4) {
            int to = Math.min(IMAGES, from + 4);
            try (var ws = StepMemory.open()) {
                INDArray direct = model.encodeImages(pixels.get(NDArrayIndex.interval(from, to)).dup('c'));
                assertArrayEquals(direct.dup().data().asFloat(),
                        embedded.get(NDArrayIndex.interval(from, to)).dup().data().asFloat(), "rows " + from + "-" + to);
            }
        }
    }

    @Test
    void aBatchThatFailsToDecodeFailsTheCall() {
        ContrastiveModel model = TinyDualEncoder.model(5, null);
        INDArray pixels = TinyDualEncoder.pixels(6, IMAGES);
        BadInputException e = assertThrows(BadInputException.class,
                () -> new Embedder(model, null, 4, "test", null).images(source(pixels, 8)));
        assertEquals("image 8: not a JPEG", e.getMessage());
    }
}
