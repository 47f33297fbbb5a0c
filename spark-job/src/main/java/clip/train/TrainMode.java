package clip.train;

import clip.io.BadInputException;
import clip.model.ContrastiveModel;
import clip.model.ResNetModel;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

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

    /** Marks the model's parameters trainable or frozen as this mode trains them, and puts it in train mode. */
    public void applyTo(ContrastiveModel model) {
        model.setTowersTrainable(towersTrain());
        train(model);
    }

    /**
     * Train mode as this mode trains: the heads' dropout on; a ResNet's BatchNorm on batch
     * statistics only when its tower trains (frozen towers stay in eval mode, as OpenCLIP's locked towers).
     */
    public void train(ContrastiveModel model) {
        model.setTraining(towersTrain(), true);
    }

    /**
     * The buffers a step of this mode changes, by name: a ResNet tower's running statistics when it
     * trains in train mode (checkpoints keep them beside the parameters), else none.
     */
    public Map<String, INDArray> trainedBuffers(ContrastiveModel model) {
        Map<String, INDArray> out = new LinkedHashMap<>();
        if (towersTrain() && model.vision() instanceof ResNetModel) {
            model.namedBuffers().forEach((name, value) -> {
                if (name.endsWith(".running_mean") || name.endsWith(".running_var")) {
                    out.put(name, value);
                }
            });
        }
        return out;
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
