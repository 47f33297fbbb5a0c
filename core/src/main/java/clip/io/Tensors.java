package clip.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Raw little-endian bytes to and from ND4J arrays; half-precision inputs widen to float32. */
final class Tensors {
    private Tensors() {
    }

    static INDArray fromLittleEndian(ByteBuffer src, DataType type, int n) {
        ByteBuffer b = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        switch (type) {
            case FLOAT: {
                float[] a = new float[n];
                b.asFloatBuffer().get(a);
                return Nd4j.createFromArray(a);
            }
            case DOUBLE: {
                double[] a = new double[n];
                b.asDoubleBuffer().get(a);
                return Nd4j.createFromArray(a);
            }
            case LONG: {
                long[] a = new long[n];
                b.asLongBuffer().get(a);
                return Nd4j.createFromArray(a);
            }
            case INT: {
                int[] a = new int[n];
                b.asIntBuffer().get(a);
                return Nd4j.createFromArray(a);
            }
            case SHORT: {
                short[] a = new short[n];
                b.asShortBuffer().get(a);
                return Nd4j.createFromArray(a);
            }
            case BYTE: {
                byte[] a = new byte[n];
                b.get(a);
                return Nd4j.createFromArray(a);
            }
            case UBYTE: {
                int[] a = new int[n];
                for (int i = 0; i < n; i++) {
                    a[i] = Byte.toUnsignedInt(b.get(i));
                }
                return Nd4j.createFromArray(a);
            }
            case BOOL: {
                boolean[] a = new boolean[n];
                for (int i = 0; i < n; i++) {
                    a[i] = b.get(i) != 0;
                }
                return Nd4j.createFromArray(a);
            }
            case HALF: {
                float[] a = new float[n];
                for (int i = 0; i < n; i++) {
                    a[i] = halfToFloat(b.getShort(2 * i));
                }
                return Nd4j.createFromArray(a);
            }
            case BFLOAT16: {
                float[] a = new float[n];
                for (int i = 0; i < n; i++) {
                    a[i] = Float.intBitsToFloat((b.getShort(2 * i) & 0xffff) << 16);
                }
                return Nd4j.createFromArray(a);
            }
            default:
                throw new IllegalArgumentException("unsupported dtype " + type);
        }
    }

    /** IEEE 754 binary16 to float32, subnormals and non-finite values included. */
    static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            float v = mant * 0x1p-24f;
            return sign == 0 ? v : -v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    static byte[] toLittleEndian(INDArray array) {
        INDArray a = array.dup('c');
        int n = (int) a.length();
        ByteBuffer b = ByteBuffer.allocate(n * a.dataType().width()).order(ByteOrder.LITTLE_ENDIAN);
        switch (a.dataType()) {
            case FLOAT -> b.asFloatBuffer().put(a.data().asFloat());
            case DOUBLE -> b.asDoubleBuffer().put(a.data().asDouble());
            case LONG -> b.asLongBuffer().put(a.data().asLong());
            case INT -> b.asIntBuffer().put(a.data().asInt());
            case SHORT -> {
                for (int i = 0; i < n; i++) {
                    b.putShort(2 * i, (short) a.getInt(i));
                }
            }
            case BYTE, UBYTE, BOOL -> {
                for (int i = 0; i < n; i++) {
                    b.put(i, (byte) a.getInt(i));
                }
            }
            default -> throw new IllegalArgumentException("cannot serialise dtype " + a.dataType());
        }
        return b.array();
    }
}
