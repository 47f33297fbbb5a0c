package clip.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import clip.io.BadInputException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** metrics.json's exact form, read back, and the metric names that configuration chooses from. */
class MetricsTest {
    private static final Metrics M = new Metrics(new Metrics.Recalls(10, 40, 60, 7.5), new Metrics.Recalls(12, 42, 62, 7),
            new Metrics.ZeroShotAccuracy(30, 80, 7), 200, 1000);

    @Test
    void writesTheKeysOfMetricsJsonAndReadsThemBack() throws Exception {
        String json = "{\"image_to_text\":{\"R@1\":10.0,\"R@5\":40.0,\"R@10\":60.0,\"median_rank\":7.5},"
                + "\"text_to_image\":{\"R@1\":12.0,\"R@5\":42.0,\"R@10\":62.0,\"median_rank\":7.0},"
                + "\"zero_shot\":{\"top1\":30.0,\"top5\":80.0,\"classes\":7},\"images\":200,\"captions\":1000}";
        assertEquals(json, M.toJson().toString());
        assertEquals(M, Metrics.fromJson(new ObjectMapper().readTree(json), "m.json"));
        Metrics noZeroShot = new Metrics(M.imageToText(), M.textToImage(), null, 200, 1000);
        assertEquals("null", noZeroShot.toJson().get("zero_shot").toString());
        assertEquals(noZeroShot, Metrics.fromJson(noZeroShot.toJson(), "m.json"));
        BadInputException e = assertThrows(BadInputException.class,
                () -> Metrics.fromJson(new ObjectMapper().readTree("{\"image_to_text\":{}}"), "m.json"));
        assertEquals("m.json: metrics without a number \"R@1\"", e.getMessage());
    }

    @Test
    void theLogLineHasPercentagesOnly() {
        assertEquals("{\"step\":40,\"image_to_text\":{\"R@1\":10.0,\"R@5\":40.0,\"R@10\":60.0},"
                + "\"text_to_image\":{\"R@1\":12.0,\"R@5\":42.0,\"R@10\":62.0},\"zero_shot\":{\"top1\":30.0,\"top5\":80.0},"
                + "\"mean_recall\":37.666666666666664}", M.toLogLine(40).toString());
    }

    @Test
    void everyNamedMetricHasItsValue() {
        double[] expected = {(10 + 40 + 60 + 12 + 42 + 62) / 6.0, 10, 40, 60, 12, 42, 62, 30, 80};
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], M.value(Metrics.NAMES.get(i)), 1e-12, Metrics.NAMES.get(i));
        }
        assertEquals(0.0, new Metrics(M.imageToText(), M.textToImage(), null, 1, 1).value("zero_shot.top1"));
    }
}
