package clip.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import clip.data.TextEncoder;
import clip.layers.StepMemory;
import clip.model.ContrastiveModel;
import clip.testutil.ThreadWorkspaces;
import clip.testutil.TinyDualEncoder;
import clip.tokenize.BertTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** The frozen towers run once for the feature cache and no backward pass follows: they keep nothing for one. */
class TowerFeaturesWorkspaceTest {
    @Test
    void theTowersRunInTheForwardOnlyWorkspace(@TempDir Path dir) throws Exception {
        Path vocab = dir.resolve("vocab.txt");
        Files.write(vocab, Stream.concat(BertTokenizer.SPECIAL.stream(), Stream.of("a", "red", "circle", "square")).toList());
        TextEncoder text = TextEncoder.bert(BertTokenizer.fromVocab(vocab), 8);
        ContrastiveModel model = TinyDualEncoder.model(3, null);
        INDArray pixels = TinyDualEncoder.pixels(4, 3);
        CaptionedImages data = new CaptionedImages() {
            @Override
            public int size() {
                return 3;
            }

            @Override
            public int splitSize() {
                return 3;
            }

            @Override
            public List<String> captions(int row) {
                return List.of("a red circle", "a square");
            }

            @Override
            public INDArray images(int[] rows) {
                return Nd4j.concat(0, java.util.Arrays.stream(rows)
                        .mapToObj(r -> pixels.get(NDArrayIndex.interval(r, r + 1)).dup()).toArray(INDArray[]::new));
            }

            @Override
            public INDArray trainingImages(int[] rows, long step) {
                throw new UnsupportedOperationException("features are computed from evaluation's images");
            }

            @Override
            public BatchSampler.Sample draw(long step, int globalBatch, int rank, int workers) {
                throw new UnsupportedOperationException("no steps here");
            }

            @Override
            public void digest(MessageDigest md) {
            }
        };
        assertEquals(Set.of(StepMemory.FORWARD_ONLY_ID),
                ThreadWorkspaces.openedBy(() -> TowerFeatures.compute(model, data, text, null)));
    }
}
