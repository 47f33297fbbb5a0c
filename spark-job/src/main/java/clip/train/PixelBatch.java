package clip.train;

import clip.model.ContrastiveModel;
import clip.model.TextBatch;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Pairs as images [B, 3, S, S] and tokenized captions: both towers run. */
public record PixelBatch(INDArray pixels, TextBatch text) implements TrainBatch {
    @Override
    public long size() {
        return pixels.size(0);
    }

    @Override
    public INDArray encodeImages(ContrastiveModel model, long from, long count) {
        return model.encodeImages(count == size() ? pixels : pixels.get(NDArrayIndex.interval(from, from + count),
                NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all()).dup('c'), from);
    }

    @Override
    public INDArray encodeTexts(ContrastiveModel model, long from, long count) {
        return model.encodeTexts(count == size() ? text : new TextBatch(rows(text.inputIds(), from, count),
                rows(text.attentionMask(), from, count),
                text.tokenTypeIds() == null ? null : rows(text.tokenTypeIds(), from, count)), from);
    }

    static INDArray rows(INDArray m, long from, long count) {
        return m.get(NDArrayIndex.interval(from, from + count), NDArrayIndex.all()).dup('c');
    }
}
