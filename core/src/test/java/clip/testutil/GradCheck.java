package clip.testutil;

import java.util.function.DoubleSupplier;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Central differences in double precision: perturbs each element of {@code x} in place
 * (restoring it afterwards) and evaluates the scalar {@code loss}. Layers are checked by
 * comparing their analytic backward against this.
 */
public final class GradCheck {
    private GradCheck() {
    }

    public static INDArray numericGradient(DoubleSupplier loss, INDArray x, double eps) {
        if (x.dataType() != DataType.DOUBLE) {
            throw new IllegalArgumentException("gradient checks run in double precision");
        }
        INDArray flat = x.reshape(x.length());
        INDArray grad = Nd4j.zeros(DataType.DOUBLE, x.length());
        for (long i = 0; i < flat.length(); i++) {
            double orig = flat.getDouble(i);
            flat.putScalar(i, orig + eps);
            double plus = loss.getAsDouble();
            flat.putScalar(i, orig - eps);
            double minus = loss.getAsDouble();
            flat.putScalar(i, orig);
            grad.putScalar(i, (plus - minus) / (2 * eps));
        }
        return grad.reshape(x.shape());
    }

    /** Relative error in the norm sense: |a - n| / max(|a|, |n|, tiny). */
    public static double relativeError(INDArray analytic, INDArray numeric) {
        double diff = analytic.sub(numeric).norm2Number().doubleValue();
        double scale = Math.max(Math.max(analytic.norm2Number().doubleValue(), numeric.norm2Number().doubleValue()), 1e-12);
        return diff / scale;
    }
}
