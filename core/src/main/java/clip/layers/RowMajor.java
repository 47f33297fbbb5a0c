package clip.layers;

import java.nio.ByteBuffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Layout checks, reshaped views and raw access for code that walks an array's buffer itself
 * (BLAS calls, Java kernels, the optimizer) and for the layers' reshapes. One convention for views: ND4J's {@code data().addressPointer()} of a
 * view already points at the view's first element, while {@code data().asNioFloat()} starts at
 * the whole buffer's first element, where {@code offset()} must be added. Everything here starts
 * at the array's own first element, so callers never add an offset.
 */
public final class RowMajor {
    private RowMajor() {
    }

    /**
     * Row-major with no gaps, so element i after the array's first element is element i of the
     * array. Axes of size 1 may carry any stride (ND4J gives [1, n] arrays strides like [1, 1]).
     */
    public static boolean isPacked(INDArray x) {
        long expected = 1;
        for (int d = x.rank() - 1; d >= 0; d--) {
            if (x.size(d) != 1 && x.stride(d) != expected) {
                return false;
            }
            expected *= x.size(d);
        }
        return true;
    }

    /**
     * {@code x.reshape('c', shape)}, a view of the same elements; one axis may be -1. For a packed
     * array the strides are the shape's own, and this builds the view as ND4J does without its
     * general stride search ({@code Shape.newShapeNoCopy}): that method is large, and C2 compiled
     * it two or three times in each embedding JVM, 0.6-1.1 s of compilation on a pinned core
     * (BENCHMARKS.md, "Twelfth session" and "Thirteenth session"). Anything else goes to ND4J.
     */
    public static INDArray reshape(INDArray x, long... shape) {
        long length = x.length();
        if (length == 0 || !isPacked(x)) {
            return x.reshape('c', shape);
        }
        long[] s = shape.clone();
        int inferred = -1;
        long known = 1;
        for (int d = 0; d < s.length; d++) {
            if (s[d] == -1 && inferred < 0) {
                inferred = d;
            } else {
                known *= s[d];
            }
        }
        if (inferred >= 0 && known > 0) {
            s[inferred] = length / known;
            known *= s[inferred];
        }
        if (known != length || s.length == 0) {
            return x.reshape('c', shape);
        }
        long[] strides = new long[s.length];
        long stride = 1;
        for (int d = s.length - 1; d >= 0; d--) {
            strides[d] = stride;
            stride *= s[d];
        }
        if (x.offset() == 0 && x.data().length() == length) {
            // the whole buffer: share it rather than wrap it again, as a new wrapper costs a
            // native pointer and JavaCPP's memory accounting at every call
            return Nd4j.create(x.data(), s, strides, 0, 'c');
        }
        return Nd4j.create(Nd4j.createBuffer(x.data(), x.offset(), length), s, strides, x.offset(), 'c');
    }

    /** A packed float array's elements, index 0 its first element (a view's included). */
    public static FloatBuffer floats(INDArray x) {
        return floatPointer(x, 0).capacity(x.length()).asBuffer();
    }

    /**
     * A packed float array's bytes in native order, byte 0 its first element's (a view's included):
     * what the Vector API loads from and stores to without copying through a Java array.
     */
    public static ByteBuffer bytes(INDArray x) {
        if (x.length() > Integer.MAX_VALUE / Float.BYTES) {
            throw new IllegalArgumentException("a byte view holds at most 2 GiB: " + x.length() + " floats");
        }
        return floatPointer(x, 0).capacity(x.length()).asByteBuffer();
    }

    /** A packed double array's elements, index 0 its first element (a view's included). */
    public static DoubleBuffer doubles(INDArray x) {
        return doublePointer(x, 0).capacity(x.length()).asBuffer();
    }

    /** A pointer {@code offset} elements after a packed float array's first element. */
    static FloatPointer floatPointer(INDArray x, long offset) {
        requirePacked(x);
        return new FloatPointer(x.data().addressPointer()).position(offset);
    }

    /** A pointer {@code offset} elements after a packed double array's first element. */
    static DoublePointer doublePointer(INDArray x, long offset) {
        requirePacked(x);
        return new DoublePointer(x.data().addressPointer()).position(offset);
    }

    private static void requirePacked(INDArray x) {
        if (!isPacked(x)) {
            throw new IllegalArgumentException("raw access needs a packed row-major array, not shape "
                    + java.util.Arrays.toString(x.shape()) + " strides " + java.util.Arrays.toString(x.stride()));
        }
    }
}
