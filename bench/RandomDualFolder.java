import clip.io.SafeTensors;
import clip.layers.Init;
import clip.layers.Module;
import clip.model.HfModels;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * An HF dual-encoder folder with freshly initialised weights for a config.json (speed does not
 * depend on the weights): for bench/onnx_bench.sh's ResNet + DistilBERT model, which no training
 * recipe builds from scratch yet.
 *
 * <p>Run: {@code java -cp <app jar>:<classpath> bench/RandomDualFolder.java CONFIG.json OUT_DIR}
 */
public class RandomDualFolder {
    public static void main(String[] args) throws Exception {
        Path configFile = Path.of(args[0]);
        Path out = Path.of(args[1]);
        JsonNode config = HfModels.readJson(configFile);
        Module model = HfModels.build(config, configFile.toString(), new Init(1, DataType.FLOAT, 0.02), null).module();
        Map<String, INDArray> state = new LinkedHashMap<>();
        model.namedParameters().forEach((k, p) -> state.put(k, p.value()));
        state.putAll(model.namedBuffers());
        Files.createDirectories(out);
        Files.copy(configFile, out.resolve("config.json"));
        SafeTensors.write(out.resolve("model.safetensors"), state);
    }
}
