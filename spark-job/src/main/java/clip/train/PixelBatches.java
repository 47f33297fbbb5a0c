package clip.train;

import clip.data.TextEncoder;
import java.util.ArrayList;
import java.util.List;

/** Training batches of images and tokenized captions: both towers run on them. */
final class PixelBatches implements TrainingData {
    private final CaptionedImages images;
    private final TextEncoder text;

    PixelBatches(CaptionedImages images, TextEncoder text) {
        this.images = images;
        this.text = text;
    }

    @Override
    public TrainBatch batch(long step, int globalBatch, int rank, int workers) {
        BatchSampler.Sample sample = images.draw(step, globalBatch, rank, workers);
        List<String> captions = new ArrayList<>(sample.rows().length);
        for (int i = 0; i < sample.rows().length; i++) {
            captions.add(images.captions(sample.rows()[i]).get(sample.captions()[i]));
        }
        // Padded to the batch's longest caption, not the configured maximum: padding is masked out of
        // attention and gets exactly zero gradient, so it was only work (captions are short).
        return new PixelBatch(images.trainingImages(sample.rows(), step), text.encodeToLongest(captions));
    }
}
