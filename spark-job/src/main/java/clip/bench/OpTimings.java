package clip.bench;

import clip.optim.AdamW;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Erf;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Per-operation costs of ND4J on this machine at the tiny config's activation size, the
 * evidence behind the design choices in BENCHMARKS.md (gemm flags, workspaces, fused AdamW).
 */
public final class OpTimings {
    private OpTimings() {
    }

    public static ObjectNode measure() {
        INDArray big = Nd4j.rand(DataType.FLOAT, 2080, 768);
        INDArray scratch = Nd4j.rand(DataType.FLOAT, 2080, 768);
        INDArray x = Nd4j.rand(DataType.FLOAT, 2080, 192);
        INDArray w = Nd4j.rand(DataType.FLOAT, 576, 192);
        INDArray scores = Nd4j.rand(DataType.FLOAT, 96 * 65, 65);
        int n = 9_691_585;
        INDArray p = Nd4j.rand(DataType.FLOAT, n);
        INDArray g = Nd4j.rand(DataType.FLOAT, n);
        INDArray m = Nd4j.zeros(DataType.FLOAT, n);
        INDArray v = Nd4j.zeros(DataType.FLOAT, n);
        AdamW adamW = new AdamW(0.9, 0.98, 1e-6);
        float[] host = new float[(int) big.length()];
        ObjectNode out = new ObjectMapper().createObjectNode();
        out.put("new_array_2080x768_ms", ms(() -> Nd4j.create(DataType.FLOAT, 2080, 768)));
        out.put("in_place_scale_2080x768_ms", ms(() -> scratch.muli(1.0001)));
        out.put("exp_in_place_2080x768_ms", ms(() -> Transforms.exp(scratch.assign(big), false)));
        out.put("erf_2080x768_ms", ms(() -> Nd4j.getExecutioner().exec(new Erf(big, scratch))));
        out.put("softmax_rows_6240x65_ms", ms(() -> Transforms.softmax(scores, true)));
        out.put("gemm_flags_2080x192_by_192x576_ms", ms(() -> Nd4j.gemm(x, w, false, true)));
        out.put("mmul_transposed_view_same_ms", ms(() -> x.mmul(w.transpose())));
        out.put("bulk_copy_to_java_2080x768_ms", ms(() -> big.data().asNioFloat().get(0, host)));
        out.put("asFloat_2080x768_ms", ms(() -> big.data().asFloat()));
        out.put("adamw_fused_9.7M_params_ms", ms(() -> adamW.update(p, g, m, v, 1e-4, 0.2, 3)));
        return out;
    }

    private static double ms(Runnable op) {
        for (int i = 0; i < 3; i++) {
            op.run();
        }
        int reps = 10;
        long t0 = System.nanoTime();
        for (int i = 0; i < reps; i++) {
            op.run();
        }
        return Math.round((System.nanoTime() - t0) / 1e4 / reps) / 100.0;
    }
}
