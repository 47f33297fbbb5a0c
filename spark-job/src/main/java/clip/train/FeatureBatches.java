package clip.train;

/** Training batches of cached tower features: only the projection heads run on them. */
final class FeatureBatches implements TrainingData {
    private final CaptionedImages images;
    private final TowerFeatures features;

    FeatureBatches(CaptionedImages images, TowerFeatures features) {
        this.images = images;
        this.features = features;
    }

    @Override
    public TrainBatch batch(long step, int globalBatch, int rank, int workers) {
        BatchSampler.Sample sample = images.draw(step, globalBatch, rank, workers);
        return new FeatureBatch(features.images(sample.rows()), features.captions(sample.rows(), sample.captions()));
    }
}
