package clip.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.config.ConfigLoader;
import clip.data.ImagePreprocessor;
import clip.data.SyntheticShapes;
import clip.data.TextEncoder;
import clip.exchange.ExchangeClock;
import clip.exchange.InProcessGroup;
import clip.exchange.ShardedOptimizer;
import clip.loss.ContrastiveLoss;
import clip.loss.LossResult;
import clip.model.ContrastiveModel;
import clip.tokenize.BertTokenizer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The one rule for skipped steps: a step whose loss is not finite (skipped before the optimizer)
 * and a step whose gradient norm is not finite (skipped inside it) both change nothing, not even
 * AdamW's step count, so the run goes on exactly as if the step had never been drawn.
 */
class TrainStepTest {
    @TempDir
    Path tmp;

    /** Which way a step is poisoned. */
    private enum Poison { LOSS, GRADIENT }

    /** The tiny recipe's step machinery around a fresh model, with some steps' loss or gradient made NaN. */
    private final class Run {
        final ContrastiveModel model;
        final ShardedOptimizer optimizer;
        final TrainStep step;

        Run(Set<Long> poisoned, Poison poison) throws Exception {
            TrainConfig config = TrainConfig.from(new ConfigLoader().load("tiny", List.of("train.steps=8"), Map.of()))
                    .withOutputDir(tmp);
            ModelFactory.Built built = ModelFactory.build(config, tmp.resolve("work"));
            model = built.model();
            config.train().mode().applyTo(model);
            ImagePreprocessor pre = new ImagePreprocessor(config.model().imageSize(), ImagePreprocessor.HALF, ImagePreprocessor.HALF);
            TrainingData data = new PixelBatches(new ShapeImages(SyntheticShapes.scenes(64, 7), pre, 42),
                    TextEncoder.bert(BertTokenizer.fromVocab(built.vocab()), config.model().maxTextLength()));
            ExchangeClock group = new ExchangeClock(new InProcessGroup(1, 60_000).member(0));
            optimizer = new ShardedOptimizer(model.namedParameters(), config.optim().groups(), config.optim().adamW(), group,
                    config.train().gradClip());
            ContrastiveLoss loss = new Poisoned(config.loss().create(), poisoned, poison);
            TrainingCheckpoints checkpoints = new TrainingCheckpoints(config, group, new org.apache.hadoop.conf.Configuration(), java.util.Map.of());
            step = new TrainStep(model, loss, data, optimizer, checkpoints, group, config.train().lrSchedule(),
                    config.train().batchSize(), 1, config.loss().local(), null);
        }

        Map<String, INDArray> parameters() {
            Map<String, INDArray> out = new LinkedHashMap<>();
            model.namedParameters().forEach((k, p) -> out.put(k, p.value().dup()));
            return out;
        }
    }

    /** Counts its calls (one per step with one micro-batch) and poisons the chosen ones. */
    private static final class Poisoned implements ContrastiveLoss {
        private final ContrastiveLoss inner;
        private final Set<Long> poisoned;
        private final Poison poison;
        private long calls;

        Poisoned(ContrastiveLoss inner, Set<Long> poisoned, Poison poison) {
            this.inner = inner;
            this.poisoned = poisoned;
            this.poison = poison;
        }

        @Override
        public LossResult computeShare(INDArray images, INDArray texts, INDArray allImages, INDArray allTexts, long firstRow,
                                       double logitScale, double logitBias) {
            LossResult r = inner.computeShare(images, texts, allImages, allTexts, firstRow, logitScale, logitBias);
            if (!poisoned.contains(calls++)) {
                return r;
            }
            return poison == Poison.LOSS
                    ? new LossResult(Double.NaN, r.dImageEmbeds(), r.dTextEmbeds(), r.dLogitScale(), r.dLogitBias(), r.logitsPerImage())
                    : new LossResult(r.loss(), r.dImageEmbeds().dup().assign(Double.NaN), r.dTextEmbeds(), r.dLogitScale(), r.dLogitBias(),
                            r.logitsPerImage());
        }

        @Override
        public boolean shareReadsAllImages() {
            return inner.shareReadsAllImages();
        }

        @Override
        public boolean usesBias() {
            return inner.usesBias();
        }
    }

    @Test
    void aNonFiniteLossAndANonFiniteGradientNormAreSkippedAlikeAndChangeNothing() throws Exception {
        Run clean = new Run(Set.of(), Poison.LOSS);
        Map<String, INDArray> initial = clean.parameters();
        StepResult good = clean.step.take(1);
        assertTrue(good.applied() && Double.isFinite(good.gradNorm()), good.toString());
        assertEquals(1, clean.optimizer.steps());

        for (Poison poison : Poison.values()) {
            Run run = new Run(Set.of(0L), poison);
            StepResult skipped = run.step.take(0);
            assertFalse(skipped.applied(), poison + ": " + skipped);
            assertEquals(1, skipped.step());
            assertEquals(poison == Poison.LOSS, Double.isNaN(skipped.loss()), poison + ": " + skipped);
            assertTrue(Double.isNaN(skipped.gradNorm()), poison + ": " + skipped);
            assertEquals(0, run.optimizer.steps(), poison + ": a skipped step is not counted");
            assertEquals(initial, run.parameters(), poison + ": a skipped step changes no parameter");

            StepResult next = run.step.take(1);
            assertTrue(next.applied(), poison + ": " + next);
            assertEquals(1, run.optimizer.steps(), poison.name());
            assertEquals(good.loss(), next.loss(), 0.0, poison.name());
            Map<String, INDArray> after = run.parameters();
            for (Map.Entry<String, INDArray> e : clean.parameters().entrySet()) {
                assertEquals(e.getValue(), after.get(e.getKey()),
                        poison + ": " + e.getKey() + " is as if the skipped step had never been drawn");
            }
        }
    }

    @Test
    void threeSkippedStepsInARowStopTheRunAndAGoodStepResetsTheCount() throws Exception {
        Run run = new Run(Set.of(0L, 1L, 3L, 4L, 5L), Poison.GRADIENT);
        assertFalse(run.step.take(0).applied());
        assertFalse(run.step.take(1).applied());
        assertTrue(run.step.take(2).applied());
        assertFalse(run.step.take(3).applied());
        assertFalse(run.step.take(4).applied());
        clip.io.BadInputException stop = assertThrows(clip.io.BadInputException.class, () -> run.step.take(5));
        assertTrue(stop.getMessage().contains("3 non-finite steps in a row at step 6"), stop.getMessage());
        assertEquals(1, run.optimizer.steps());
    }
}
