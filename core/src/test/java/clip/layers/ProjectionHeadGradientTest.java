package clip.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clip.testutil.GradCheck;
import java.util.Map;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The projection heads and dropout, against central differences in double precision. */
class ProjectionHeadGradientTest {
    private static <L extends Module & Layer> void check(L head, INDArray x) {
        INDArray r = new Init(5, DataType.DOUBLE, 1.0).normal(head.forward(x).shape()).value();
        head.zeroGrad();
        head.forward(x);
        INDArray dx = head.backward(r.dup());
        java.util.function.DoubleSupplier loss = () -> head.forward(x).mul(r).sumNumber().doubleValue();
        assertTrue(GradCheck.relativeError(dx, GradCheck.numericGradient(loss, x, 1e-5)) < 1e-6, "input");
        for (Map.Entry<String, Parameter> e : head.namedParameters().entrySet()) {
            double err = GradCheck.relativeError(e.getValue().grad(), GradCheck.numericGradient(loss, e.getValue().value(), 1e-5));
            assertTrue(err < 1e-6, e.getKey() + " relative error " + err);
        }
    }

    @Test
    void mlpHead() {
        MlpProjection head = new MlpProjection(6, 8, 4, new Init(1, DataType.DOUBLE, 0.5));
        assertEquals(java.util.Set.of("0.weight", "0.bias", "2.weight", "2.bias"), head.namedParameters().keySet());
        check(head, new Init(2, DataType.DOUBLE, 1.0).normal(3, 6).value());
    }

    @Test
    void residualHeadWithDropoutOff() {
        ResidualProjection head = new ResidualProjection(6, 4, 0.0, 9, new Init(1, DataType.DOUBLE, 0.5));
        assertEquals(java.util.Set.of("linear1.weight", "linear2.weight", "layer_norm.weight", "layer_norm.bias"),
                head.namedParameters().keySet());
        check(head, new Init(2, DataType.DOUBLE, 1.0).normal(3, 6).value());
    }

    @Test
    void dropoutMasksArePureFunctionsOfSeedStepWorkerAndPosition() {
        INDArray ones = new Init(1, DataType.DOUBLE, 1.0).ones(4, 50).value();
        Dropout a = new Dropout(0.5, 11);
        a.setTraining(true);
        a.at(7, 1, 0);
        INDArray whole = a.forward(ones);
        // a second instance (a resumed run), over the last two rows alone (a micro-batch), draws the same mask
        Dropout b = new Dropout(0.5, 11);
        b.setTraining(true);
        b.at(7, 1, 2);
        assertEquals(whole.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(2, 4), org.nd4j.linalg.indexing.NDArrayIndex.all()),
                b.forward(new Init(1, DataType.DOUBLE, 1.0).ones(2, 50).value()));
        b.at(8, 1, 0);
        assertTrue(!whole.equals(b.forward(ones)), "another step, another mask");
        b.at(7, 2, 0);
        assertTrue(!whole.equals(b.forward(ones)), "another worker, another mask");
    }

    private static ResidualProjection headWithDropout() {
        ResidualProjection head = new ResidualProjection(6, 4, 0.3, 9, new Init(1, DataType.DOUBLE, 0.5));
        head.setTraining(true);
        return head;
    }

    @Test
    void withTheDropoutMaskOfOneForwardHeldFixedTheBackwardIsThatFunctionsExactGradient() {
        ResidualProjection head = headWithDropout();
        INDArray x = new Init(2, DataType.DOUBLE, 1.0).normal(5, 6).value();
        INDArray r = new Init(4, DataType.DOUBLE, 1.0).normal(5, 4).value();
        head.zeroGrad();
        head.forward(x);
        INDArray dx = head.backward(r.dup());
        // The function with that mask: a head built alike draws the same first mask, and reads the
        // checked head's parameters as the central differences perturb them.
        DoubleSupplier loss = () -> {
            ResidualProjection same = headWithDropout();
            same.namedParameters().forEach((k, p) -> p.value().assign(head.namedParameters().get(k).value()));
            return same.forward(x).mul(r).sumNumber().doubleValue();
        };
        double inputError = GradCheck.relativeError(dx, GradCheck.numericGradient(loss, x, 1e-5));
        assertTrue(inputError < 1e-6, "input relative error " + inputError);
        for (Map.Entry<String, Parameter> e : head.namedParameters().entrySet()) {
            double err = GradCheck.relativeError(e.getValue().grad(), GradCheck.numericGradient(loss, e.getValue().value(), 1e-5));
            assertTrue(err < 1e-6, e.getKey() + " relative error " + err);
        }
        // The mask mattered: without dropout the same head has another input gradient.
        ResidualProjection off = new ResidualProjection(6, 4, 0.0, 9, new Init(1, DataType.DOUBLE, 0.5));
        off.forward(x);
        assertTrue(GradCheck.relativeError(off.backward(r.dup()), dx) > 1e-2, "dropout changed nothing");
    }

    @Test
    void dropoutMaskIsSeededAndScalesKeptUnits() {
        Dropout a = new Dropout(0.5, 11);
        Dropout b = new Dropout(0.5, 11);
        a.setTraining(true);
        b.setTraining(true);
        INDArray ones = new Init(1, DataType.DOUBLE, 1.0).ones(100).value();
        assertEquals(a.forward(ones), b.forward(ones), "same seed, same mask");
        double kept = a.forward(ones).gt(0).castTo(DataType.DOUBLE).sumNumber().doubleValue();
        assertTrue(kept > 30 && kept < 70, "about half kept: " + kept);
        assertEquals(2.0, a.forward(ones).maxNumber().doubleValue(), 1e-12, "kept units scaled by 1/(1-p)");
    }
}
