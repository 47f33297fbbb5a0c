package clip.train;

/** Image-caption pairs to train on, served as each worker's pairs of a step's global batch. */
public interface TrainingData {
    /** Worker {@code rank}'s {@code globalBatch / workers} pairs of step {@code step}. */
    TrainBatch batch(long step, int globalBatch, int rank, int workers);
}
