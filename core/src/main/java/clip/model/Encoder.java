package clip.model;

import clip.layers.Init;
import clip.layers.Module;
import clip.layers.StepMemory;

import clip.layers.AttentionMask;
import clip.layers.LayerNames;
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
            x = layer.forward(x, mask);
            hiddenStates.add(x);
        }
        return x;
    }

    public INDArray backward(INDArray dy) {
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
