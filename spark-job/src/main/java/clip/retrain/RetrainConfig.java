package clip.retrain;

import clip.io.BadInputException;
import clip.train.EvalMetric;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.time.Duration;

/** The typed view of the {@code clip.retrain} block (see reference.conf). */
public record RetrainConfig(String metric, double margin, int keep, String valData, Duration lockTimeout, String scratch,
                            boolean requireNewData) {
    public static RetrainConfig from(Config root) {
        Config c = root.getConfig("clip.retrain");
        Duration timeout;
        try {
            timeout = c.getDuration("lock-timeout");
        } catch (ConfigException.BadValue e) {
            throw new BadInputException("config key 'clip.retrain.lock-timeout' must be a duration such as 90s, 30m or 2h, got '"
                    + c.getValue("lock-timeout").unwrapped() + "'");
        }
        RetrainConfig r = new RetrainConfig(c.getString("metric"), c.getDouble("margin"), c.getInt("keep"), c.getString("val-data"),
                timeout, c.getString("scratch"), c.getBoolean("require-new-data"));
        r.validate();
        return r;
    }

    private void validate() {
        if (!EvalMetric.NAMES.contains(metric)) {
            throw new BadInputException("config key 'clip.retrain.metric' must be one of " + EvalMetric.NAMES + ", got '" + metric + "'");
        }
        if (keep < 1) {
            throw new BadInputException("config key 'clip.retrain.keep' must be at least 1 (the production version), got " + keep);
        }
        if (lockTimeout.isNegative() || lockTimeout.isZero()) {
            throw new BadInputException("config key 'clip.retrain.lock-timeout' must be positive, got " + lockTimeout);
        }
    }
}
