package clip.model;

import clip.layers.AttentionMask;
import clip.layers.Init;
import clip.layers.LayerNames;
import clip.layers.Module;
import clip.layers.RowMajor;
import clip.layers.StepMemory;
import clip.layers.TransformerLayer;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/** A stack of transformer layers, named {@code <prefix>.0}, {@code <prefix>.1}, ... as in HF. */
public final class Encoder extends Module {
    private final List<TransformerLayer> layers = new ArrayList<>();

    public Encoder(TowerConfig c, boolean preNorm, LayerNames names, String prefix, Init init) {
        for (int i = 0; i < c.layers(); i++) {
            layers.add(child(prefix + "." + i, new TransformerLayer(c.hidden(), c.heads(), c.intermediate(), preNorm,
                    c.qkvBias(), c.activation(), c.layerNormEps(), names, init)));
        }
    }

    /** Runs every layer; appends each layer's output to {@code hiddenStates}. */
    public INDArray forward(INDArray x, AttentionMask mask, List<INDArray> hiddenStates) {
        for (TransformerLayer layer : layers) {
            parametersNeeded(layer);
            x = layer.forward(x, mask);
            hiddenStates.add(x);
        }
        return x;
    }

    /**
     * The last layer's output at one row per example, [B, D], the earlier layers run whole
     * ({@link TransformerLayer#forwardRows}); {@link #backward} then takes [B, D].
     */
    public INDArray forwardRows(INDArray x, AttentionMask mask, int[] rows) {
        if (layers.isEmpty()) {
            throw new IllegalStateException("an encoder without layers has no rows to compute");
        }
        for (TransformerLayer layer : layers.subList(0, layers.size() - 1)) {
            parametersNeeded(layer);
            x = layer.forward(x, mask);
        }
        TransformerLayer last = layers.get(layers.size() - 1);
        parametersNeeded(last);
        INDArray out = last.forwardRows(x, mask, rows);
        return RowMajor.reshape(out, out.size(0), out.size(2));
    }

    /** dL/d(input) from dL/d(output): [B, T, D] after {@link #forward}, [B, D] after {@link #forwardRows}. */
    public INDArray backward(INDArray dy) {
        if (dy.rank() == 2) {
            dy = RowMajor.reshape(dy, dy.size(0), 1, dy.size(1));
        }
        for (int i = layers.size() - 1; i >= 0; i--) {
            try (var ws = StepMemory.openLayerBackward()) {
                dy = StepMemory.keep(layers.get(i).backward(dy));
            }
            gradientsReady(layers.get(i));
        }
        return dy;
    }

    public List<TransformerLayer> layers() {
        return layers;
    }
}
