package clip.model.layers;

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

    public String hfName() {
        return switch (this) {
            case GELU -> "gelu";
            case GELU_TANH -> "gelu_new";
            case QUICK_GELU -> "quick_gelu";
            case RELU -> "relu";
        };
    }

    INDArray apply(INDArray x) {
        return switch (this) {
            case GELU -> erf(x.mul(Math.sqrt(0.5))).addi(1).muli(x).muli(0.5);
            case GELU_TANH -> Transforms.tanh(tanhArgument(x), false).addi(1).muli(x).muli(0.5);
            case QUICK_GELU -> Transforms.sigmoid(x.mul(1.702), false).muli(x);
            case RELU -> Transforms.relu(x, true);
        };
    }

    /** dy/dx at x, element-wise. */
    INDArray derivative(INDArray x) {
        switch (this) {
            case GELU: {
                INDArray cdf = erf(x.mul(Math.sqrt(0.5))).addi(1).muli(0.5);
                INDArray pdf = Transforms.exp(x.mul(x).muli(-0.5), false).muli(INV_SQRT_2PI);
                return pdf.muli(x).addi(cdf);
            }
            case GELU_TANH: {
                INDArray t = Transforms.tanh(tanhArgument(x), false);
                INDArray inner = x.mul(x).muli(3 * 0.044715).addi(1).muli(SQRT_2_OVER_PI);
                INDArray sech2 = t.mul(t).rsubi(1);
                return sech2.muli(inner).muli(x).muli(0.5).addi(t.addi(1).muli(0.5));
            }
            case QUICK_GELU: {
                INDArray s = Transforms.sigmoid(x.mul(1.702), false);
                return s.rsub(1).muli(s).muli(x).muli(1.702).addi(s);
            }
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
