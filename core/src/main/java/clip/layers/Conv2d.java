package clip.layers;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A bias-free 2-D convolution over [N, C, H, W] with a square kernel, stride and zero padding,
 * weight [out, in, k, k] as PyTorch stores it (torchvision's ResNets use no conv bias).
 *
 * <p>im2col + one sgemm per image: each image's receptive fields are gathered into a
 * [in*k*k, outH*outW] matrix through a precomputed index map, and the backward pass scatters the
 * column gradient back through the same map. Only one image's columns exist at a time (the
 * backward pass gathers them again) so memory stays that of the activations. A 1x1 stride-1
 * convolution needs no gathering: the image itself is the column matrix.
 */
public final class Conv2d extends Module implements Layer {
    private final Parameter weight;
    private final int in;
    private final int out;
    private final int kernel;
    private final int stride;
    private final int padding;
    private INDArray input;
    private int height;
    private int width;
    private int outHeight;
    private int outWidth;
    /** For each element of one image's column matrix: its index in the image, or -1 for padding. */
    private int[] columnSource;
    /** One image's column matrix on the Java side, reused from image to image and call to call. */
    private float[] floatColumns;
    private double[] doubleColumns;
    /** One image of the input (or of its gradient) on the Java side, for bulk copies. */
    private float[] floatImage;
    private double[] doubleImage;

    public Conv2d(int in, int out, int kernel, int stride, int padding, Init init) {
        this.in = in;
        this.out = out;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        // He initialisation (fan_out), as torchvision initialises its ResNets.
        this.weight = param("weight", init.normal(Math.sqrt(2.0 / (out * kernel * kernel)), out, in, kernel, kernel));
    }

    @Override
    public INDArray forward(INDArray x) {
        if (x.rank() != 4 || x.size(1) != in) {
            throw new IllegalArgumentException("Conv2d expects [N, " + in + ", H, W], got " + java.util.Arrays.toString(x.shape()));
        }
        input = RowMajor.isPacked(x) ? x : x.dup('c');
        setGeometry((int) x.size(2), (int) x.size(3));
        int images = (int) x.size(0);
        INDArray w = RowMajor.reshape(weight.value(), out, rows());
        INDArray y = Nd4j.createUninitialized(x.dataType(), images, out, outHeight, outWidth);
        INDArray y3 = RowMajor.reshape(y, images, out, columns());
        INDArray scratch = pointwise() ? null : Nd4j.createUninitialized(x.dataType(), rows(), columns());
        for (int i = 0; i < images; i++) {
            Blas.gemm(w, false, columnsOf(i, scratch), false, 1.0, 0.0, y3.slice(i));
        }
        return y;
    }

    /** Accumulates dW and returns dL/dx [N, C, H, W]. */
    @Override
    public INDArray backward(INDArray dy) {
        return backward(dy, true);
    }

    /**
     * Accumulates dW; returns dL/dx when {@code inputGradient}, else null (a stem convolution over
     * pixels, whose gradient nothing reads: the column scatter is most of its backward pass).
     */
    public INDArray backward(INDArray dy, boolean inputGradient) {
        int images = (int) input.size(0);
        INDArray dy3 = RowMajor.reshape(RowMajor.isPacked(dy) ? dy : dy.dup('c'), images, out, columns());
        INDArray w = RowMajor.reshape(weight.value(), out, rows());
        INDArray dw = weight.trainable() ? RowMajor.reshape(weight.grad(), out, rows()) : null;
        INDArray dx = inputGradient ? Nd4j.zeros(input.dataType(), input.shape()) : null;
        INDArray scratch = pointwise() ? null : Nd4j.createUninitialized(input.dataType(), rows(), columns());
        INDArray dColumns = pointwise() ? null : Nd4j.createUninitialized(input.dataType(), rows(), columns());
        INDArray dx3 = inputGradient ? RowMajor.reshape(dx, images, in, (long) height * width) : null;
        for (int i = 0; i < images; i++) {
            if (dw != null) {
                Blas.gemm(dy3.slice(i), false, columnsOf(i, scratch), true, 1.0, 1.0, dw);
            }
            if (!inputGradient) {
                continue;
            }
            if (pointwise()) {
                Blas.gemm(w, true, dy3.slice(i), false, 1.0, 0.0, dx3.slice(i));
            } else {
                Blas.gemm(w, true, dy3.slice(i), false, 1.0, 0.0, dColumns);
                scatter(dColumns, i, dx);
            }
        }
        return dx;
    }

    private boolean pointwise() {
        return kernel == 1 && stride == 1 && padding == 0;
    }

    private int rows() {
        return in * kernel * kernel;
    }

    private int columns() {
        return outHeight * outWidth;
    }

    private void setGeometry(int h, int w) {
        if (columnSource != null && h == height && w == width) {
            return;
        }
        height = h;
        width = w;
        outHeight = (h + 2 * padding - kernel) / stride + 1;
        outWidth = (w + 2 * padding - kernel) / stride + 1;
        if (outHeight < 1 || outWidth < 1) {
            throw new IllegalArgumentException("a " + h + "x" + w + " input is smaller than the " + kernel + "x" + kernel + " kernel");
        }
        columnSource = new int[rows() * columns()];
        int at = 0;
        for (int c = 0; c < in; c++) {
            for (int ki = 0; ki < kernel; ki++) {
                for (int kj = 0; kj < kernel; kj++) {
                    for (int oy = 0; oy < outHeight; oy++) {
                        int iy = oy * stride - padding + ki;
                        for (int ox = 0; ox < outWidth; ox++) {
                            int ix = ox * stride - padding + kj;
                            boolean inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
                            columnSource[at++] = inside ? (c * h + iy) * w + ix : -1;
                        }
                    }
                }
            }
        }
    }

    /** Image {@code i}'s column matrix [in*k*k, outH*outW]: a view of the input, or gathered into {@code scratch}. */
    private INDArray columnsOf(int i, INDArray scratch) {
        if (scratch == null) {
            return RowMajor.reshape(input, input.size(0), in, (long) height * width).slice(i);
        }
        int imageSize = in * height * width;
        int base = Math.toIntExact(input.offset() + (long) i * imageSize);
        if (input.dataType() == DataType.FLOAT) {
            float[] image = floatImage(imageSize);
            input.data().asNioFloat().get(base, image, 0, imageSize);
            float[] cols = floatColumns();
            for (int j = 0; j < cols.length; j++) {
                int s = columnSource[j];
                cols[j] = s < 0 ? 0f : image[s];
            }
            HostArrays.write(scratch, cols);
        } else {
            double[] image = doubleImage(imageSize);
            input.data().asNioDouble().get(base, image, 0, imageSize);
            double[] cols = doubleColumns();
            for (int j = 0; j < cols.length; j++) {
                int s = columnSource[j];
                cols[j] = s < 0 ? 0.0 : image[s];
            }
            HostArrays.write(scratch, cols);
        }
        return scratch;
    }

    private float[] floatColumns() {
        if (floatColumns == null || floatColumns.length != columnSource.length) {
            floatColumns = new float[columnSource.length];
        }
        return floatColumns;
    }

    private double[] doubleColumns() {
        if (doubleColumns == null || doubleColumns.length != columnSource.length) {
            doubleColumns = new double[columnSource.length];
        }
        return doubleColumns;
    }

    /** col2im: adds image {@code i}'s column gradient into dx (zero there until now) through the index map. */
    private void scatter(INDArray dColumns, int i, INDArray dx) {
        int imageSize = in * height * width;
        int base = Math.toIntExact(dx.offset() + (long) i * imageSize);
        if (dx.dataType() == DataType.FLOAT) {
            float[] d = floatColumns();
            HostArrays.read(dColumns, d);
            float[] image = floatImage(imageSize);
            java.util.Arrays.fill(image, 0f);
            for (int j = 0; j < d.length; j++) {
                int s = columnSource[j];
                if (s >= 0) {
                    image[s] += d[j];
                }
            }
            dx.data().asNioFloat().put(base, image, 0, imageSize);
        } else {
            double[] d = doubleColumns();
            HostArrays.read(dColumns, d);
            double[] image = doubleImage(imageSize);
            java.util.Arrays.fill(image, 0.0);
            for (int j = 0; j < d.length; j++) {
                int s = columnSource[j];
                if (s >= 0) {
                    image[s] += d[j];
                }
            }
            dx.data().asNioDouble().put(base, image, 0, imageSize);
        }
    }

    private float[] floatImage(int size) {
        if (floatImage == null || floatImage.length != size) {
            floatImage = new float[size];
        }
        return floatImage;
    }

    private double[] doubleImage(int size) {
        if (doubleImage == null || doubleImage.length != size) {
            doubleImage = new double[size];
        }
        return doubleImage;
    }
}
