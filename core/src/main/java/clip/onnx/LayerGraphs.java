package clip.onnx;

import clip.io.BadInputException;
import clip.layers.ActivationKind;
import clip.layers.LayerNames;
import clip.model.TowerConfig;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The project's layers (clip.layers) as ONNX subgraphs, computing what their forward passes
 * compute, with weights read by their state_dict names. Each method returns its output's name.
 */
final class LayerGraphs {
    private final OnnxGraph g;
    private final Map<String, INDArray> weights;

    LayerGraphs(OnnxGraph g, Map<String, INDArray> weights) {
        this.g = g;
        this.weights = weights;
    }

    OnnxGraph graph() {
        return g;
    }

    boolean has(String name) {
        return weights.containsKey(name);
    }

    INDArray value(String name) {
        INDArray w = weights.get(name);
        if (w == null) {
            throw new BadInputException("ONNX export: the model has no weight " + name);
        }
        return w;
    }

    String weight(String name) {
        return g.weight(name, value(name));
    }

    /** y = x W^T (+ b): W is stored transposed ([in, out]) so the graph needs no Transpose. */
    String linear(String x, String prefix) {
        String y = g.node("MatMul", x, g.weight(prefix + "weight.T", value(prefix + "weight").transpose()));
        return has(prefix + "bias") ? g.node("Add", y, weight(prefix + "bias")) : y;
    }

    /** LayerNormalization over the last axis (opset 17). */
    String layerNorm(String x, String prefix, double eps) {
        return g.node("LayerNormalization", List.of(x, weight(prefix + "weight"), weight(prefix + "bias")),
                Attribute.of("axis", -1L), Attribute.of("epsilon", (float) eps));
    }

    /** The activations of {@link ActivationKind}, composed of opset-17 operators (Gelu is opset 20). */
    String activation(String x, ActivationKind kind) {
        return switch (kind) {
            case GELU -> g.node("Mul", g.node("Mul", x, g.node("Add", g.node("Erf", g.node("Mul", x,
                    g.floats((float) Math.sqrt(0.5)))), g.floats(1f))), g.floats(0.5f));
            case GELU_TANH -> {
                String cube = g.node("Mul", g.node("Mul", x, x), x);
                String inner = g.node("Mul", g.node("Add", x, g.node("Mul", cube, g.floats(0.044715f))),
                        g.floats((float) Math.sqrt(2 / Math.PI)));
                yield g.node("Mul", g.node("Mul", x, g.node("Add", g.node("Tanh", inner), g.floats(1f))), g.floats(0.5f));
            }
            case QUICK_GELU -> g.node("Mul", x, g.node("Sigmoid", g.node("Mul", x, g.floats(1.702f))));
            case RELU -> g.node("Relu", x);
        };
    }

    /**
     * A projection head, known by its weights: a bias-free Linear ({@code weight}), MlpProjection
     * ({@code 0.}, {@code 2.}: Linear-GELU-Linear) or ResidualProjection ({@code linear1.}, {@code linear2.},
     * {@code layer_norm.}; dropout is off outside training).
     */
    String projection(String x, String prefix) {
        if (has(prefix + "linear1.weight")) {
            String p = linear(x, prefix + "linear1.");
            String h = linear(activation(p, ActivationKind.GELU), prefix + "linear2.");
            return layerNorm(g.node("Add", p, h), prefix + "layer_norm.", 1e-5);
        }
        if (has(prefix + "0.weight")) {
            return linear(activation(linear(x, prefix + "0."), ActivationKind.GELU), prefix + "2.");
        }
        return linear(x, prefix);
    }

    /** The width of {@link #projection}'s output. */
    long projectionDim(String prefix) {
        String last = has(prefix + "linear1.weight") ? "linear1." : has(prefix + "0.weight") ? "2." : "";
        return value(prefix + last + "weight").size(0);
    }

    /** Rows divided by their L2 norm, as {@link clip.layers.L2Normalize}. */
    String l2Normalize(String x) {
        return g.node("Div", x, g.node("ReduceL2", x, Attribute.ints("axes", 1), Attribute.of("keepdims", 1L)));
    }

    /** [B, T, D] -> [B, D] at position 0 (CLS pooling). */
    String first(String x) {
        return g.node("Gather", x, g.scalarIndex(0), Attribute.of("axis", 1L));
    }

    /** Rows 0..T-1 of a position table, T being dimension 1 of {@code ids} (dynamic sequence length). */
    String positions(String table, String ids) {
        String length = g.node("Shape", ids, Attribute.of("start", 1L), Attribute.of("end", 2L));
        return g.node("Slice", List.of(table, g.ints(0), length, g.ints(0)));
    }

    /**
     * The additive attention bias [B, 1, 1|T, T] of {@link clip.layers.AttentionMask}: 0 where a
     * query may see a key, -Float.MAX_VALUE where not (padding keys; later keys when causal).
     */
    String attentionBias(String attentionMask, boolean causal) {
        String keep = g.node("Unsqueeze", g.node("Cast", attentionMask, Attribute.of("to", (long) OnnxGraph.FLOAT)), g.ints(1, 2));
        if (causal) {
            String length = g.node("Shape", attentionMask, Attribute.of("start", 1L), Attribute.of("end", 2L));
            String square = g.node("Concat", List.of(length, length), Attribute.of("axis", 0L));
            keep = g.node("Mul", keep, g.node("Trilu", g.node("Expand", g.floats(1f), square), Attribute.of("upper", 0L)));
        }
        return g.node("Mul", g.node("Sub", g.floats(1f), keep), g.floats(-Float.MAX_VALUE));
    }

    /** Multi-head self-attention of {@link clip.layers.SelfAttention}; {@code bias} may be null. */
    String attention(String x, String prefix, LayerNames names, int dim, int heads, String bias) {
        var n = names.attentionNames();
        String a = prefix + names.attention() + ".";
        String shape = g.ints(0, 0, heads, dim / heads);
        String q = g.node("Transpose", g.node("Reshape", linear(x, a + n.query() + "."), shape), Attribute.ints("perm", 0, 2, 1, 3));
        String k = g.node("Transpose", g.node("Reshape", linear(x, a + n.key() + "."), shape), Attribute.ints("perm", 0, 2, 3, 1));
        String v = g.node("Transpose", g.node("Reshape", linear(x, a + n.value() + "."), shape), Attribute.ints("perm", 0, 2, 1, 3));
        String scores = g.node("Mul", g.node("MatMul", q, k), g.floats((float) (1.0 / Math.sqrt(dim / heads))));
        if (bias != null) {
            scores = g.node("Add", scores, bias);
        }
        String context = g.node("MatMul", g.node("Softmax", scores, Attribute.of("axis", -1L)), v);
        String merged = g.node("Reshape", g.node("Transpose", context, Attribute.ints("perm", 0, 2, 1, 3)), g.ints(0, 0, dim));
        return linear(merged, a + n.output() + ".");
    }

    /** The layers {@code prefix0.} .. of an {@link clip.model.Encoder}, pre- or post-LN as {@link clip.layers.TransformerLayer}. */
    String encoder(String x, String prefix, TowerConfig c, boolean preNorm, LayerNames names, String bias) {
        for (int i = 0; i < c.layers(); i++) {
            String p = prefix + i + ".";
            if (preNorm) {
                String h = g.node("Add", attention(layerNorm(x, p + names.norm1() + ".", c.layerNormEps()), p, names,
                        c.hidden(), c.heads(), bias), x);
                x = g.node("Add", h, mlp(layerNorm(h, p + names.norm2() + ".", c.layerNormEps()), p, names, c.activation()));
            } else {
                String h = layerNorm(g.node("Add", attention(x, p, names, c.hidden(), c.heads(), bias), x),
                        p + names.norm1() + ".", c.layerNormEps());
                x = layerNorm(g.node("Add", mlp(h, p, names, c.activation()), h), p + names.norm2() + ".", c.layerNormEps());
            }
        }
        return x;
    }

    private String mlp(String x, String prefix, LayerNames names, ActivationKind act) {
        return linear(activation(linear(x, prefix + names.fc1() + "."), act), prefix + names.fc2() + ".");
    }

    /** A bias-free square convolution with torch's symmetric padding (kernel / 2, as every ResNet convolution). */
    String conv(String x, String prefix, int stride) {
        INDArray w = value(prefix + "weight");
        long k = w.size(2);
        long pad = k / 2;
        return g.node("Conv", List.of(x, weight(prefix + "weight")), Attribute.ints("kernel_shape", k, k),
                Attribute.ints("strides", stride, stride), Attribute.ints("pads", pad, pad, pad, pad));
    }

    /** BatchNorm2d in eval mode: running statistics. */
    String batchNorm(String x, String prefix, double eps) {
        return g.node("BatchNormalization", List.of(x, weight(prefix + "weight"), weight(prefix + "bias"),
                weight(prefix + "running_mean"), weight(prefix + "running_var")), Attribute.of("epsilon", (float) eps));
    }
}
