package clip.layers;

import clip.io.BadInputException;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Erf;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The activations of HF configs' {@code hidden_act}. Exact GELU uses ND4J's native erf, which
 * is the C library's (exact to float rounding); the tanh form and quick_gelu are the
 * approximations that BERT/ViT ports must not confuse with it.
 */
public enum ActivationKind {
    GELU, GELU_TANH, QUICK_GELU, RELU;

    private static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
    private static final double INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

    public static ActivationKind fromHf(String name) {
        return switch (name) {
            case "gelu" -> GELU;
            case "gelu_new", "gelu_pytorch_tanh", "gelu_fast" -> GELU_TANH;
            case "quick_gelu" -> QUICK_GELU;
            case "relu" -> RELU;
            default -> throw new BadInputException("unsupported hidden_act '" + name + "'");
        };
    }

    /** An activation's output and what its derivative reuses (the normal CDF, the tanh, the sigmoid). */
    record Applied(INDArray output, INDArray saved) {
    }

    Applied apply(INDArray x) {
        return switch (this) {
            case GELU -> saving(erf(x.mul(Math.sqrt(0.5))).addi(1).muli(0.5), x);
            case GELU_TANH -> {
                INDArray t = Transforms.tanh(tanhArgument(x), false);
                yield new Applied(t.add(1).muli(x).muli(0.5), t);
            }
            case QUICK_GELU -> saving(Transforms.sigmoid(x.mul(1.702), false), x);
            case RELU -> new Applied(Transforms.relu(x, true), null);
        };
    }

    /** y = x * gate, keeping the gate. */
    private static Applied saving(INDArray gate, INDArray x) {
        return new Applied(gate.mul(x), gate);
    }

    /** dy/dx at x, element-wise, from {@code saved} of {@link #apply}. */
    INDArray derivative(INDArray x, INDArray saved) {
        switch (this) {
            case GELU: {
                // Phi(x) + x phi(x): the CDF was computed by the forward pass
                INDArray pdf = Transforms.exp(x.mul(x).muli(-0.5), false).muli(INV_SQRT_2PI);
                return pdf.muli(x).addi(saved);
            }
            case GELU_TANH: {
                INDArray inner = x.mul(x).muli(3 * 0.044715).addi(1).muli(SQRT_2_OVER_PI);
                INDArray sech2 = saved.mul(saved).rsubi(1);
                return sech2.muli(inner).muli(x).muli(0.5).addi(saved.add(1).muli(0.5));
            }
            case QUICK_GELU:
                return saved.rsub(1).muli(saved).muli(x).muli(1.702).addi(saved);
            case RELU:
                return x.gt(0).castTo(x.dataType());
            default:
                throw new IllegalStateException();
        }
    }

    private static INDArray tanhArgument(INDArray x) {
        return x.mul(x).muli(0.044715).addi(1).muli(x).muli(SQRT_2_OVER_PI);
    }

    private static INDArray erf(INDArray x) {
        return Nd4j.getExecutioner().exec(new Erf(x, x));
    }
}
