package clip.train;

/** Image-caption pairs to train on, served as each worker's rows of a step's global batch. */
public interface TrainingData {
    int size();

    /** Rows {@code [from, from + count)} of step {@code step}'s global batch of {@code globalBatch} pairs. */
    TrainBatch batch(long step, int globalBatch, int from, int count);
}
