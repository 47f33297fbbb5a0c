package clip.loss;

import clip.model.ContrastiveModel;
import clip.model.TextBatch;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * One process's image-text pairs of a step, row i of the images and of the texts a pair. They
 * can be encoded a slice at a time: by micro-batches, or by parts run side by side on the cores.
 */
public interface Pairs {
    long size();

    /** L2-normalised embeddings of images {@code [from, from + count)}, activations kept in {@code model} for its backward pass. */
    INDArray encodeImages(ContrastiveModel model, long from, long count);

    /** L2-normalised embeddings of texts {@code [from, from + count)}, activations kept in {@code model} for its backward pass. */
    INDArray encodeTexts(ContrastiveModel model, long from, long count);

    /** Pairs held as ready tensors: pixels [B, C, H, W] and a text batch of B rows. */
    static Pairs of(INDArray pixels, TextBatch text) {
        return new Pairs() {
            @Override
            public long size() {
                return pixels.size(0);
            }

            @Override
            public INDArray encodeImages(ContrastiveModel model, long from, long count) {
                return model.encodeImages(from == 0 && count == size() ? pixels : rows(pixels, from, count));
            }

            @Override
            public INDArray encodeTexts(ContrastiveModel model, long from, long count) {
                if (from == 0 && count == size()) {
                    return model.encodeTexts(text);
                }
                return model.encodeTexts(new TextBatch(rows(text.inputIds(), from, count),
                        text.attentionMask() == null ? null : rows(text.attentionMask(), from, count),
                        text.tokenTypeIds() == null ? null : rows(text.tokenTypeIds(), from, count)));
            }
        };
    }

    private static INDArray rows(INDArray x, long from, long count) {
        INDArrayIndex[] index = new INDArrayIndex[x.rank()];
        index[0] = NDArrayIndex.interval(from, from + count);
        for (int d = 1; d < index.length; d++) {
            index[d] = NDArrayIndex.all();
        }
        return x.get(index).dup('c');
    }
}
