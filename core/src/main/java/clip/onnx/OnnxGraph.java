package clip.onnx;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * An ONNX graph under construction: inputs, outputs, weights (initializers) and nodes in
 * topological order. Every node gets one fresh output name; {@link ModelWriter} serialises it.
 */
final class OnnxGraph {
    /** TensorProto.DataType numbers. */
    static final int FLOAT = 1;
    static final int INT64 = 7;

    /** A graph input or output: its element type and dimensions, each a fixed size (Long) or a name (String: dynamic). */
    record Value(String name, int elemType, Object[] dims) {
    }

    /** A weight or constant: float values (an INDArray, converted when written) or int64 values. */
    record Initializer(String name, long[] dims, INDArray floats, long[] longs) {
        int dataType() {
            return floats != null ? FLOAT : INT64;
        }

        long byteSize() {
            return floats != null ? floats.length() * 4 : longs.length * 8L;
        }
    }

    record Node(String op, List<String> inputs, String output, List<Attribute> attributes) {
    }

    private final String name;
    private final List<Value> inputs = new ArrayList<>();
    private final List<Value> outputs = new ArrayList<>();
    private final List<Initializer> initializers = new ArrayList<>();
    private final List<Node> nodes = new ArrayList<>();
    private final Map<String, String> constants = new HashMap<>();
    private int counter;

    OnnxGraph(String name) {
        this.name = name;
    }

    String input(String value, int elemType, Object... dims) {
        inputs.add(new Value(value, elemType, dims));
        return value;
    }

    /** Makes {@code value} a graph output under {@code outputName}. */
    void output(String value, String outputName, int elemType, Object... dims) {
        node("Identity", List.of(value), outputName, List.of());
        outputs.add(new Value(outputName, elemType, dims));
    }

    /** A float weight under its checkpoint name (or a name saying how it was derived from one). */
    String weight(String weightName, INDArray value) {
        initializers.add(new Initializer(weightName, value.shape(), value, null));
        return weightName;
    }

    /** A float constant [n] (a scalar when one value is given: rank 0). */
    String floats(float... values) {
        String key = "f" + java.util.Arrays.toString(values);
        return constants.computeIfAbsent(key, k -> {
            String n = "const_" + constants.size();
            long[] dims = values.length == 1 ? new long[0] : new long[] {values.length};
            initializers.add(new Initializer(n, dims, org.nd4j.linalg.factory.Nd4j.createFromArray(values)
                    .castTo(DataType.FLOAT), null));
            return n;
        });
    }

    /** An int64 constant [n] (shapes, axes, indices). */
    String ints(long... values) {
        return constants.computeIfAbsent("i" + java.util.Arrays.toString(values), k -> {
            String n = "const_" + constants.size();
            initializers.add(new Initializer(n, new long[] {values.length}, null, values.clone()));
            return n;
        });
    }

    /** An int64 scalar (rank 0): a Gather index that drops the axis. */
    String scalarIndex(long value) {
        return constants.computeIfAbsent("s" + value, k -> {
            String n = "const_" + constants.size();
            initializers.add(new Initializer(n, new long[0], null, new long[] {value}));
            return n;
        });
    }

    /** Adds a node; returns its output's name. */
    String node(String op, List<String> in, Attribute... attributes) {
        return node(op, in, op.toLowerCase() + "_" + counter++, List.of(attributes));
    }

    String node(String op, String a, Attribute... attributes) {
        return node(op, List.of(a), attributes);
    }

    String node(String op, String a, String b, Attribute... attributes) {
        return node(op, List.of(a, b), attributes);
    }

    private String node(String op, List<String> in, String output, List<Attribute> attributes) {
        nodes.add(new Node(op, List.copyOf(in), output, attributes));
        return output;
    }

    String name() {
        return name;
    }

    List<Value> inputs() {
        return inputs;
    }

    List<Value> outputs() {
        return outputs;
    }

    List<Initializer> initializers() {
        return initializers;
    }

    List<Node> nodes() {
        return nodes;
    }
}
