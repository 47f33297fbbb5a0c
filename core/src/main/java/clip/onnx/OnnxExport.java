package clip.onnx;

import clip.eval.EncoderModel;
import clip.io.BadInputException;
import clip.io.LocalFiles;
import clip.model.ContrastiveModel;
import clip.model.HfModel;
import clip.model.HfModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * An image-text model as two ONNX models for serving, each tower with its projection head and
 * the L2 normalisation (the embeddings bin/clip embed computes), in a Triton model repository:
 * {@code <repository>/<name>_image/1/model.onnx} and {@code <name>_text/1/model.onnx}, each with
 * its {@code config.pbtxt}. Batch and sequence length are dynamic.
 */
public final class OnnxExport {
    public static final String PIXELS = "pixel_values";
    public static final String INPUT_IDS = "input_ids";
    public static final String ATTENTION_MASK = "attention_mask";
    public static final String IMAGE_EMBEDS = "image_embeds";
    public static final String TEXT_EMBEDS = "text_embeds";

    /** The two model folders written (each holding {@code config.pbtxt} and {@code 1/model.onnx}). */
    public record Repository(Path imageModel, Path textModel) {
        public Path imageOnnx() {
            return imageModel.resolve("1/model.onnx");
        }

        public Path textOnnx() {
            return textModel.resolve("1/model.onnx");
        }
    }

    private OnnxExport() {
    }

    /** Exports an HF folder (CLIPModel or VisionTextDualEncoderModel). */
    public static Repository export(Path modelDir, Path repository, String name, int maxBatchSize) throws IOException {
        HfModel hf = HfModels.load(modelDir, DataType.FLOAT);
        EncoderModel.checkType(hf.modelType(), modelDir.toString(), "export --onnx");
        return export(hf.asContrastive(), repository, name, maxBatchSize, ModelWriter.EXTERNAL_ABOVE);
    }

    /** @param externalAbove weight bytes past which they go to {@code model.onnx.data} */
    static Repository export(ContrastiveModel model, Path repository, String name, int maxBatchSize, long externalAbove)
            throws IOException {
        Path image = repository.resolve(name + "_image");
        Path text = repository.resolve(name + "_text");
        for (Path p : List.of(image, text)) {
            if (Files.exists(p)) {
                throw new BadInputException(p + ": already exists (remove it, or choose another --name or --out)");
            }
        }
        Map<String, INDArray> weights = weights(model);
        writeModel(imageGraph(model, weights), image, maxBatchSize, externalAbove);
        writeModel(textGraph(model, weights), text, maxBatchSize, externalAbove);
        return new Repository(image, text);
    }

    static OnnxGraph imageGraph(ContrastiveModel model, Map<String, INDArray> weights) {
        return graph("image_encoder", weights, towers -> towers.vision(model.vision(), "vision_model."), "visual_projection.",
                IMAGE_EMBEDS);
    }

    static OnnxGraph textGraph(ContrastiveModel model, Map<String, INDArray> weights) {
        return graph("text_encoder", weights, towers -> towers.text(model.text(), "text_model."), "text_projection.", TEXT_EMBEDS);
    }

    /** tower (declaring its inputs) -> head -> L2 normalisation -> {@code output} [batch, P]. */
    private static OnnxGraph graph(String name, Map<String, INDArray> weights, Function<TowerGraphs, String> tower, String head,
                                   String output) {
        OnnxGraph g = new OnnxGraph(name);
        LayerGraphs layers = new LayerGraphs(g, weights);
        String embeds = layers.l2Normalize(layers.projection(tower.apply(new TowerGraphs(layers)), head));
        g.output(embeds, output, OnnxGraph.FLOAT, "batch", layers.projectionDim(head));
        return g;
    }

    /** Parameters and buffers (BatchNorm statistics, fixed sinusoids) by their state_dict names. */
    static Map<String, INDArray> weights(ContrastiveModel model) {
        Map<String, INDArray> weights = new LinkedHashMap<>();
        model.namedParameters().forEach((k, p) -> weights.put(k, p.value()));
        weights.putAll(model.namedBuffers());
        return weights;
    }

    /** Writes into a hidden sibling folder and renames it into place, so a failure leaves no half model. */
    private static void writeModel(OnnxGraph g, Path dir, int maxBatchSize, long externalAbove) throws IOException {
        Path work = dir.resolveSibling("." + dir.getFileName() + ".tmp");
        LocalFiles.deleteTree(work);
        boolean done = false;
        try {
            Files.createDirectories(work.resolve("1"));
            ModelWriter.write(g, work.resolve("1/model.onnx"), externalAbove);
            TritonConfig config = new TritonConfig(dir.getFileName().toString(), maxBatchSize,
                    g.inputs().stream().map(OnnxExport::tritonTensor).toList(),
                    g.outputs().stream().map(OnnxExport::tritonTensor).toList());
            Files.writeString(work.resolve("config.pbtxt"), config.text());
            Files.move(work, dir, StandardCopyOption.ATOMIC_MOVE);
            done = true;
        } finally {
            if (!done) {
                LocalFiles.deleteTree(work);
            }
        }
    }

    /** Triton's view of a graph input/output: without the batch dimension, -1 for each dynamic one. */
    private static TritonConfig.Tensor tritonTensor(OnnxGraph.Value v) {
        long[] dims = Arrays.stream(v.dims()).skip(1).mapToLong(d -> d instanceof Number n ? n.longValue() : -1).toArray();
        return new TritonConfig.Tensor(v.name(), v.elemType() == OnnxGraph.FLOAT ? "TYPE_FP32" : "TYPE_INT64", dims);
    }
}
