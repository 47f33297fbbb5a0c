package clip.retrain;

import static org.junit.jupiter.api.Assertions.assertEquals;

import clip.config.ConfigLoader;
import clip.train.TrainConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RetrainConfigTest {
    @Test
    void theDefaultsOfReferenceConf() {
        RetrainConfig r = RetrainConfig.from(new ConfigLoader().load(null, List.of(), Map.of()));
        assertEquals(new RetrainConfig("text_to_image.R@1", 0.0, 3, "", Duration.ofHours(1), "", false), r);
    }

    @Test
    void theExampleScheduleRecipeLoads() {
        var loaded = new ConfigLoader().load("../cluster/schedules/retrain.conf", List.of(), Map.of());
        RetrainConfig r = RetrainConfig.from(loaded);
        assertEquals(5, r.keep());
        assertEquals("/data/clip/val-fixed", r.valData());
        assertEquals(TrainConfig.DataSource.SHARDS, TrainConfig.from(loaded).data().source());
    }
}
