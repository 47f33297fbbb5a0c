package clip.train;

import clip.io.BadInputException;
import clip.model.ContrastiveModel;
import java.util.Arrays;
import java.util.List;

/**
 * What a run trains ({@code clip.train.mode}). The one place that decides which parameters are
 * frozen: training, resume and export all ask it, so they agree on the optimizer's layout.
 */
public enum TrainMode {
    /** Every parameter trains. */
    FULL("full"),
    /** Only the projection heads and the logit scale (and bias) train; the towers still run every step. */
    FROZEN_TOWERS("frozen-towers"),
    /** The same parameters as {@link #FROZEN_TOWERS}, trained on tower outputs computed once and cached. */
    PROJECTION_ONLY("projection-only");

    private final String key;

    TrainMode(String key) {
        this.key = key;
    }

    /** The value as written in the configuration. */
    public String key() {
        return key;
    }

    public boolean towersTrain() {
        return this == FULL;
    }

    public boolean cachesTowerFeatures() {
        return this == PROJECTION_ONLY;
    }

    /** Marks the model's parameters trainable or frozen as this mode trains them. */
    public void applyTo(ContrastiveModel model) {
        model.setTowersTrainable(towersTrain());
    }

    public static TrainMode parse(String configKey, String value) {
        for (TrainMode m : values()) {
            if (m.key.equals(value)) {
                return m;
            }
        }
        List<String> allowed = Arrays.stream(values()).map(TrainMode::key).toList();
        throw new BadInputException("config key '" + configKey + "' must be one of " + allowed + ", got '" + value + "'");
    }
}
