package clip.layers;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A node of the model tree: owns named parameters and named children, so the full
 * parameter names come out exactly as HuggingFace's {@code state_dict()} spells them
 * (e.g. {@code encoder.layer.0.attention.self.query.weight}).
 *
 * <p>Layers keep what their backward pass needs from the last forward call, so a layer
 * instance is used once per forward pass (the llm.c discipline).
 */
public abstract class Module {
    private final Map<String, Parameter> params = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private final Map<String, INDArray> buffers = new LinkedHashMap<>();
    private final List<Activation> activations = new ArrayList<>();
    private GradientsReady gradientsReady = GradientsReady.NONE;
    private ParametersNeeded parametersNeeded = ParametersNeeded.NONE;

    protected final Parameter param(String name, Parameter p) {
        if (params.put(name, p) != null) {
            throw new IllegalStateException("duplicate parameter " + name);
        }
        return p;
    }

    /** Registers state that is saved and loaded but not trained (BatchNorm's running statistics); updated in place. */
    protected final INDArray buffer(String name, INDArray value) {
        if (buffers.put(name, value) != null) {
            throw new IllegalStateException("duplicate buffer " + name);
        }
        return value;
    }

    /** Registers an activation this module applies, so that the model's kinds are known before its first pass. */
    protected final Activation activation(Activation a) {
        activations.add(a);
        return a;
    }

    protected final <M extends Module> M child(String name, M m) {
        if (children.put(name, m) != null) {
            throw new IllegalStateException("duplicate child " + name);
        }
        return m;
    }

    /** Every parameter under this module, keyed by its dotted path, in registration order. */
    public final Map<String, Parameter> namedParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        collect("", out);
        return out;
    }

    private void collect(String prefix, Map<String, Parameter> out) {
        params.forEach((n, p) -> out.put(prefix + n, p));
        children.forEach((n, c) -> c.collect(prefix + n + ".", out));
    }

    /** Every buffer under this module, keyed by its dotted path (PyTorch's non-parameter state_dict entries). */
    public final Map<String, INDArray> namedBuffers() {
        Map<String, INDArray> out = new LinkedHashMap<>();
        collectBuffers("", out);
        return out;
    }

    private void collectBuffers(String prefix, Map<String, INDArray> out) {
        buffers.forEach((n, b) -> out.put(prefix + n, b));
        children.forEach((n, c) -> c.collectBuffers(prefix + n + ".", out));
    }

    /** The kinds of activation that this module and every module below it apply. */
    public final Set<ActivationKind> activationKinds() {
        Set<ActivationKind> kinds = EnumSet.noneOf(ActivationKind.class);
        activations.forEach(a -> kinds.add(a.kind()));
        children.values().forEach(c -> kinds.addAll(c.activationKinds()));
        return kinds;
    }

    /** Whom this module and every module below it tell when a backward pass has finished a module's gradients. */
    public final void onGradientsReady(GradientsReady listener) {
        gradientsReady = listener;
        children.values().forEach(c -> c.onGradientsReady(listener));
    }

    /** Reports that the gradients of {@code m}'s parameters are final for this step. */
    protected final void gradientsReady(Module m) {
        gradientsReady.ready(m);
    }

    /** Whom this module and every module below it tell before a forward pass reads a module's parameters. */
    public final void onParametersNeeded(ParametersNeeded listener) {
        parametersNeeded = listener;
        children.values().forEach(c -> c.onParametersNeeded(listener));
    }

    /** Waits, when told to, until {@code m}'s parameters hold the values this forward pass must see. */
    protected final void parametersNeeded(Module m) {
        if (parametersNeeded != ParametersNeeded.NONE) {
            parametersNeeded.need(m.parameters());
        }
    }

    /** As {@link #parametersNeeded(Module)} for this module's parameters outside {@code parts} (its own, not its children's). */
    protected final void parametersNeededExcept(List<Module> parts) {
        if (parametersNeeded != ParametersNeeded.NONE) {
            java.util.Set<Parameter> excluded = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
            parts.forEach(m -> excluded.addAll(m.parameters()));
            parametersNeeded.need(parameters().stream().filter(p -> !excluded.contains(p)).toList());
        }
    }

    /** As {@link #parametersNeeded(Module)} for the parameters given. */
    protected final void parametersNeeded(List<Parameter> params) {
        if (parametersNeeded != ParametersNeeded.NONE) {
            parametersNeeded.need(params);
        }
    }

    public final List<Parameter> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    public final void zeroGrad() {
        for (Parameter p : parameters()) {
            p.zeroGrad();
        }
    }

    /** Freezes or unfreezes every parameter below this module. */
    public final void setTrainable(boolean trainable) {
        for (Parameter p : parameters()) {
            p.setTrainable(trainable);
        }
    }

    public final long parameterCount() {
        long n = 0;
        for (Parameter p : parameters()) {
            n += p.size();
        }
        return n;
    }
}
