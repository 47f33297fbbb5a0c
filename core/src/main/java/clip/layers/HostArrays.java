package clip.layers;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Bulk copies between ND4J arrays and Java arrays, for the image layers whose loops (im2col,
 * per-channel statistics, pooling windows) run in Java: one bulk copy each way instead of an
 * ND4J call per element.
 */
final class HostArrays {
    private HostArrays() {
    }

    static float[] floats(INDArray x) {
        float[] out = new float[Math.toIntExact(x.length())];
        read(x, out);
        return out;
    }

    /** Copies a float array's elements into {@code into} (as long as it), reusing the Java array. */
    static void read(INDArray x, float[] into) {
        INDArray p = packed(x);
        FloatBuffer b = p.data().asNioFloat();
        b.position((int) p.offset());
        b.get(into, 0, Math.toIntExact(p.length()));
    }

    /** Copies a double array's elements into {@code into}, reusing the Java array. */
    static void read(INDArray x, double[] into) {
        INDArray p = packed(x);
        DoubleBuffer b = p.data().asNioDouble();
        b.position((int) p.offset());
        b.get(into, 0, Math.toIntExact(p.length()));
    }

    /** The elements as doubles, whatever the floating type. */
    static double[] doubles(INDArray x) {
        if (x.dataType() == DataType.FLOAT) {
            float[] f = floats(x);
            double[] out = new double[f.length];
            for (int i = 0; i < f.length; i++) {
                out[i] = f[i];
            }
            return out;
        }
        INDArray p = packed(x.dataType() == DataType.DOUBLE ? x : x.castTo(DataType.DOUBLE));
        DoubleBuffer b = p.data().asNioDouble();
        double[] out = new double[Math.toIntExact(p.length())];
        b.position((int) p.offset());
        b.get(out);
        return out;
    }

    /** Overwrites the packed array {@code into} with {@code values}. */
    static void write(INDArray into, float[] values) {
        requirePacked(into, values.length);
        FloatBuffer b = into.data().asNioFloat();
        b.position((int) into.offset());
        b.put(values);
    }

    /** Overwrites the packed float or double array {@code into} with {@code values}, rounding to float if it is one. */
    static void write(INDArray into, double[] values) {
        requirePacked(into, values.length);
        if (into.dataType() == DataType.FLOAT) {
            float[] f = new float[values.length];
            for (int i = 0; i < f.length; i++) {
                f[i] = (float) values[i];
            }
            write(into, f);
            return;
        }
        DoubleBuffer b = into.data().asNioDouble();
        b.position((int) into.offset());
        b.put(values);
    }

    private static INDArray packed(INDArray x) {
        return RowMajor.isPacked(x) ? x : x.dup('c');
    }

    private static void requirePacked(INDArray into, int length) {
        if (!RowMajor.isPacked(into) || into.length() != length) {
            throw new IllegalArgumentException("cannot write " + length + " values into " + java.util.Arrays.toString(into.shape()));
        }
    }
}
