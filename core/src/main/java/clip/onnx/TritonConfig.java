package clip.onnx;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A Triton model configuration ({@code config.pbtxt}) for one exported tower: the ONNX Runtime
 * backend, the batch dimension left to Triton ({@code max_batch_size}, dynamic batching), the
 * other dimensions as the model declares them (-1 where dynamic).
 */
record TritonConfig(String model, int maxBatchSize, List<Tensor> inputs, List<Tensor> outputs) {
    /** One input or output; {@code dims} without the batch dimension. */
    record Tensor(String name, String dataType, long... dims) {
    }

    String text() {
        return "name: \"" + model + "\"\n"
                + "platform: \"onnxruntime_onnx\"\n"
                + "max_batch_size: " + maxBatchSize + "\n"
                + "input [\n" + tensors(inputs) + "\n]\n"
                + "output [\n" + tensors(outputs) + "\n]\n"
                + "dynamic_batching { }\n";
    }

    private static String tensors(List<Tensor> tensors) {
        return tensors.stream().map(t -> "  {\n    name: \"" + t.name() + "\"\n    data_type: " + t.dataType()
                + "\n    dims: [ " + java.util.Arrays.stream(t.dims()).mapToObj(Long::toString).collect(Collectors.joining(", "))
                + " ]\n  }").collect(Collectors.joining(",\n"));
    }
}
