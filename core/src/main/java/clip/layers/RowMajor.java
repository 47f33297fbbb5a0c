package clip.layers;

import org.nd4j.linalg.api.ndarray.INDArray;

/** Layout checks for code that walks an array's buffer itself (BLAS calls, Java kernels). */
final class RowMajor {
    private RowMajor() {
    }

    /**
     * Row-major with no gaps, so element i after the array's first element is element i of the
     * array. Axes of size 1 may carry any stride (ND4J gives [1, n] arrays strides like [1, 1]).
     */
    static boolean isPacked(INDArray x) {
        long expected = 1;
        for (int d = x.rank() - 1; d >= 0; d--) {
            if (x.size(d) != 1 && x.stride(d) != expected) {
                return false;
            }
            expected *= x.size(d);
        }
        return true;
    }
}
