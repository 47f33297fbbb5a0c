package clip.layers;

import java.util.List;

/**
 * Told by a forward pass, part by part, before it reads a part's parameters, so a distributed step
 * can still be gathering the updated parameters of later parts while the earlier ones compute (the
 * mirror of {@link GradientsReady}). It returns once every parameter it was given holds the value
 * this forward pass must see.
 */
@FunctionalInterface
public interface ParametersNeeded {
    ParametersNeeded NONE = params -> { };

    void need(List<Parameter> params);
}
