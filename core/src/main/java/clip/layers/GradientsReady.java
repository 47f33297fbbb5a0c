package clip.layers;

/**
 * Told by a backward pass, module by module, as soon as the gradients of a module's parameters
 * are final for the step, so a distributed step can start exchanging them while the backward pass
 * goes on below (PyTorch DDP's gradient hooks). A module is reported after everything that adds
 * to its gradients has run; a module's report covers every parameter under it.
 */
@FunctionalInterface
public interface GradientsReady {
    GradientsReady NONE = m -> { };

    void ready(Module module);
}
