package clip.plot;

/** One line of a run's {@code train-log.jsonl}; absent optional values are NaN. */
public record TrainLogEntry(long step, double loss, double learningRate, double gradNorm, double logitScale) {
}
