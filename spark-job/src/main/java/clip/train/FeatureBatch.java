package clip.train;

import clip.model.ContrastiveModel;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Pairs as the towers' pooled outputs, computed once and cached: only the projection heads run
 * (projection-only training).
 */
public record FeatureBatch(INDArray imageFeatures, INDArray textFeatures) implements TrainBatch {
    @Override
    public long size() {
        return imageFeatures.size(0);
    }

    @Override
    public INDArray encodeImages(ContrastiveModel model, long from, long count) {
        return model.projectImages(count == size() ? imageFeatures : PixelBatch.rows(imageFeatures, from, count), from);
    }

    @Override
    public INDArray encodeTexts(ContrastiveModel model, long from, long count) {
        return model.projectTexts(count == size() ? textFeatures : PixelBatch.rows(textFeatures, from, count), from);
    }
}
