package clip.model;

import clip.layers.Module;

import clip.io.BadInputException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Loads HF/PyTorch state dicts into a {@link Module}, tolerating the spellings checkpoints come
 * in: a task-model prefix ({@code bert.}, {@code distilbert.}, {@code vit.}, ...), LayerNorm {@code gamma}/{@code beta},
 * int64 {@code position_ids} and {@code num_batches_tracked} buffers, and task heads ({@code cls.},
 * {@code classifier.}, a ResNet's {@code fc.}, DistilBERT's masked-LM {@code vocab_*}) that a bare tower does not have. Anything else that does not fit is an error naming the keys.
 */
public final class StateDict {
    private static final List<String> KNOWN_PREFIXES = List.of("bert.", "distilbert.", "vit.", "model.", "module.");
    private static final List<String> TASK_HEADS = List.of("cls.", "classifier.", "head.", "qa_outputs.", "fc.",
            "pre_classifier.", "vocab_transform.", "vocab_layer_norm.", "vocab_projector.");

    private StateDict() {
    }

    /**
     * @param source the file, for error messages
     * @param prefix where this module sits in the checkpoint (e.g. {@code text_model.}), or "" to detect
     * @return the checkpoint keys that were deliberately left out (task heads)
     */
    public static List<String> load(Module module, Map<String, INDArray> checkpoint, String source, String prefix) {
        return load(module, checkpoint, source, prefix, Set.of());
    }

    /** As {@link #load(Module, Map, String, String)}, but the parameters in {@code mayBeAbsent} keep their initial value when absent. */
    public static List<String> load(Module module, Map<String, INDArray> checkpoint, String source, String prefix,
                                    Set<String> mayBeAbsent) {
        Map<String, INDArray> targets = new LinkedHashMap<>();
        module.namedParameters().forEach((k, p) -> targets.put(k, p.value()));
        targets.putAll(module.namedBuffers());
        Map<String, String> normalizedToOriginal = new LinkedHashMap<>();
        for (String key : checkpoint.keySet()) {
            normalizedToOriginal.put(normalize(key), key);
        }
        String chosen = prefix.isEmpty() ? detectPrefix(targets.keySet(), normalizedToOriginal.keySet()) : prefix;
        Set<String> missing = new TreeSet<>();
        for (Map.Entry<String, INDArray> p : targets.entrySet()) {
            String original = normalizedToOriginal.get(chosen + p.getKey());
            if (original == null) {
                if (!mayBeAbsent.contains(p.getKey())) {
                    missing.add(chosen + p.getKey());
                }
                continue;
            }
            INDArray value = checkpoint.get(original);
            INDArray target = p.getValue();
            if (!Arrays.equals(value.shape(), target.shape())) {
                throw new BadInputException(source + ": tensor '" + original + "' has shape " + Arrays.toString(value.shape())
                        + " but config.json implies " + Arrays.toString(target.shape()));
            }
            target.assign(value.castTo(target.dataType()));
        }
        if (!missing.isEmpty()) {
            throw new BadInputException(source + ": missing " + missing.size() + " tensor(s): " + abbreviate(missing));
        }
        Set<String> unexpected = new TreeSet<>();
        List<String> skipped = new ArrayList<>();
        for (Map.Entry<String, String> e : normalizedToOriginal.entrySet()) {
            String n = e.getKey();
            if (n.endsWith("position_ids") || n.endsWith("num_batches_tracked")) {
                continue; // buffers a forward pass never reads (BatchNorm's counter matters only without momentum)
            }
            boolean belongs = n.startsWith(chosen) && targets.containsKey(n.substring(chosen.length()));
            if (belongs) {
                continue;
            }
            if (!prefix.isEmpty() && !n.startsWith(prefix)) {
                continue; // another part of a larger checkpoint (the other tower, the projections)
            }
            if (TASK_HEADS.stream().anyMatch(n::startsWith)) {
                skipped.add(e.getValue());
            } else {
                unexpected.add(e.getValue());
            }
        }
        if (!unexpected.isEmpty()) {
            throw new BadInputException(source + ": unknown tensor(s) " + abbreviate(unexpected));
        }
        return skipped;
    }

    /** The module's parameters and buffers as a state dict under {@code prefix}. */
    public static Map<String, INDArray> export(Module module, String prefix) {
        Map<String, INDArray> out = new LinkedHashMap<>();
        module.namedParameters().forEach((k, p) -> out.put(prefix + k, p.value()));
        module.namedBuffers().forEach((k, b) -> out.put(prefix + k, b));
        return out;
    }

    private static String normalize(String key) {
        if (key.endsWith(".gamma")) {
            return key.substring(0, key.length() - 6) + ".weight";
        }
        if (key.endsWith(".beta")) {
            return key.substring(0, key.length() - 5) + ".bias";
        }
        return key;
    }

    private static String detectPrefix(Set<String> params, Set<String> keys) {
        String best = "";
        long bestHits = params.stream().filter(keys::contains).count();
        for (String p : KNOWN_PREFIXES) {
            long hits = params.stream().filter(k -> keys.contains(p + k)).count();
            if (hits > bestHits) {
                best = p;
                bestHits = hits;
            }
        }
        return best;
    }

    private static String abbreviate(Set<String> keys) {
        List<String> list = new ArrayList<>(keys);
        String shown = String.join(", ", list.subList(0, Math.min(8, list.size())));
        return list.size() > 8 ? shown + ", ... (" + (list.size() - 8) + " more)" : shown;
    }
}
