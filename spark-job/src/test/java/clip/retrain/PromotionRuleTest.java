package clip.retrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.eval.Metrics;
import org.junit.jupiter.api.Test;

class PromotionRuleTest {
    /** Every recall at {@code r}, zero-shot absent. */
    private static Metrics metrics(double r) {
        Metrics.Recalls recalls = new Metrics.Recalls(r, r, r, 3);
        return new Metrics(recalls, recalls, null, 10, 50);
    }

    @Test
    void promotesOnlyWhenTheCandidateBeatsProductionByMoreThanTheMargin() {
        PromotionRule rule = new PromotionRule("text_to_image.R@1", 0.5);
        PromotionRule.Decision better = rule.decide(metrics(41), metrics(40));
        assertTrue(better.promote());
        assertEquals("text_to_image.R@1: candidate 41.00 > production 40.00 + margin 0.50", better.reason());
        assertFalse(rule.decide(metrics(40.5), metrics(40)).promote(), "equal to production + margin is not better");
        assertFalse(rule.decide(metrics(40), metrics(40)).promote());
        assertFalse(rule.decide(metrics(30), metrics(40)).promote());
        assertTrue(new PromotionRule("mean_recall", -15).decide(metrics(30), metrics(40)).promote(), "a negative margin tolerates a loss");
    }

    @Test
    void anEmptyRegistryTakesAnyCandidateThatEvaluated() {
        PromotionRule rule = new PromotionRule("image_to_text.R@5", 2);
        assertTrue(rule.decide(metrics(1), null).promote());
        PromotionRule.Decision broken = rule.decide(metrics(Double.NaN), null);
        assertFalse(broken.promote());
        assertTrue(broken.reason().contains("not a number"), broken.reason());
    }

    @Test
    void zeroShotAccuracyThatWasNotMeasuredIsAnErrorNotAZero() {
        PromotionRule rule = new PromotionRule("zero_shot.top1", 0);
        assertThrows(IllegalStateException.class, () -> rule.decide(metrics(50), metrics(40)));
        Metrics.Recalls recalls = new Metrics.Recalls(50, 50, 50, 3);
        assertEquals(80.0, rule.value(new Metrics(recalls, recalls, new Metrics.ZeroShotAccuracy(80, 90, 8), 10, 50)));
    }
}
