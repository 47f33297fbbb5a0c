package clip.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.data.TextEncoder;
import clip.io.BadInputException;
import clip.layers.StepMemory;
import clip.model.ContrastiveModel;
import clip.testutil.ThreadWorkspaces;
import clip.testutil.TinyDualEncoder;
import clip.tokenize.BertTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
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

    /** Embedding keeps nothing for a backward pass: its layers run in the forward-only workspace, never the step's. */
    @Test
    void embeddingRunsInTheForwardOnlyWorkspace(@TempDir Path dir) throws Exception {
        ContrastiveModel model = TinyDualEncoder.model(5, null);
        INDArray pixels = TinyDualEncoder.pixels(6, IMAGES);
        assertEquals(java.util.Set.of(StepMemory.FORWARD_ONLY_ID), ThreadWorkspaces.openedBy(
                () -> new Embedder(model, null, 4, "test", null).images(source(pixels, -1))));
        TextEncoder text = TextEncoder.bert(BertTokenizer.fromVocab(vocabulary(dir)), 16);
        assertEquals(java.util.Set.of(StepMemory.FORWARD_ONLY_ID), ThreadWorkspaces.openedBy(
                () -> new Embedder(model, text, 3, "test", null).texts(List.of("a red circle", "the shape"), "captions")));
    }

    private static Path vocabulary(Path dir) throws IOException {
        List<String> words = List.of("a", "red", "blue", "circle", "square", "on", "the", "left", "right", "top",
                "bottom", "small", "large", "green", "shape");
        Path vocab = dir.resolve("vocab.txt");
        Files.write(vocab, Stream.concat(BertTokenizer.SPECIAL.stream(), words.stream()).toList());
        return vocab;
    }

    /** Texts are batched by length: each row is still its own text's embedding, in the given order. */
    @Test
    void textsBatchedByLengthComeBackInTheirOrder(@TempDir Path dir) throws IOException {
        TextEncoder text = TextEncoder.bert(BertTokenizer.fromVocab(vocabulary(dir)), 16);
        ContrastiveModel model = TinyDualEncoder.model(5, null);
        List<String> texts = List.of("a large green shape on the left", "red", "blue circle", "a small red square on the top right",
                "green", "the shape", "a blue circle on the bottom");
        INDArray embedded = new Embedder(model, text, 3, "test", null).texts(texts, "captions");
        assertEquals(texts.size(), embedded.size(0));
        for (int i = 0; i < texts.size(); i++) {
            try (var ws = StepMemory.open()) {
                INDArray alone = model.encodeTexts(text.encodeToLongest(List.of(texts.get(i))));
                assertTrue(alone.getRow(0).equalsWithEps(embedded.getRow(i), 1e-5), "text " + i + ": " + texts.get(i));
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
