package clip.testutil;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Element-wise and per-tensor closeness at the tolerances of shared/golden/README.md. */
public final class Close {
    private Close() {
    }

    /** Passes when |actual - expected| <= atol + rtol * |expected| everywhere. */
    public static void assertClose(INDArray expected, INDArray actual, double atol, double rtol, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        double[] e = expected.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        double[] a = actual.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        double worst = 0;
        int worstAt = -1;
        for (int i = 0; i < e.length; i++) {
            double excess = Math.abs(a[i] - e[i]) - (atol + rtol * Math.abs(e[i]));
            if (!(excess <= 0) && (worstAt < 0 || excess > worst || Double.isNaN(excess))) {
                worst = excess;
                worstAt = i;
            }
        }
        if (worstAt >= 0) {
            fail(String.format("%s: element %d expected %.9g got %.9g (|diff| %.3g > %.3g)", what, worstAt,
                    e[worstAt], a[worstAt], Math.abs(a[worstAt] - e[worstAt]), atol + rtol * Math.abs(e[worstAt])));
        }
    }

    /**
     * The gradient tolerance: max |actual - expected| <= rel * max |expected| over the tensor,
     * and entries that are exactly zero in the reference stay exactly zero.
     */
    public static void assertGradClose(INDArray expected, INDArray actual, double rel, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        double[] e = expected.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        double[] a = actual.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        double maxRef = 0;
        for (double v : e) {
            maxRef = Math.max(maxRef, Math.abs(v));
        }
        double maxDiff = 0;
        int at = -1;
        for (int i = 0; i < e.length; i++) {
            if (e[i] == 0 && a[i] != 0) {
                fail(String.format("%s: element %d is exactly zero in the reference but %.3g here", what, i, a[i]));
            }
            double d = Math.abs(a[i] - e[i]);
            if (!(d <= maxDiff)) {
                maxDiff = d;
                at = i;
            }
        }
        if (!(maxDiff <= rel * maxRef)) {
            fail(String.format("%s: max |diff| %.3g at element %d (expected %.9g got %.9g) > %.3g = %.1g * max|ref| %.3g",
                    what, maxDiff, at, e[at], a[at], rel * maxRef, rel, maxRef));
        }
    }
}
