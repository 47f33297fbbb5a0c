package clip.onnx;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Writes an {@link OnnxGraph} as an ONNX ModelProto file (opset 17, IR version 8).
 *
 * <p>The messages are written field by field with protobuf's CodedOutputStream, by the field numbers
 * of onnx/onnx.proto, rather than through classes generated from onnx.proto: generating them needs
 * protoc at build time, which the offline build here cannot get (no protoc artifact in the local
 * Maven repository), and the seven messages a model needs (ModelProto, OperatorSetIdProto, GraphProto,
 * NodeProto, AttributeProto, TensorProto, ValueInfoProto with its TypeProto/TensorShapeProto) take
 * a few dozen lines. Weights are streamed into the file, not built into one message in memory.
 *
 * <p>Weights are initializers inside the file. A protobuf message cannot exceed 2 GB, so when the
 * weights pass {@link #EXTERNAL_ABOVE} they go to {@code <file>.data} beside it (ONNX's external
 * data: location, offset and length per tensor of 1 KiB or more, 4 KiB-aligned), which ONNX Runtime
 * reads when it loads the model from its path.
 */
final class ModelWriter {
    static final int OPSET = 17;
    static final long IR_VERSION = 8;
    /** Weight bytes past which they go to an external file: under 2 GB with room for the graph itself. */
    static final long EXTERNAL_ABOVE = 1_800_000_000L;
    private static final int ALIGN = 4096;
    /**
     * Tensors under this size stay inside even then (onnx's own threshold): shape and axis
     * constants must, since ONNX Runtime infers shapes before it reads external data.
     */
    private static final long INLINE_BELOW = 1024;

    private ModelWriter() {
    }

    /** @param externalAbove weight bytes past which weights go to {@code <file>.data} (tests force it with 0) */
    static void write(OnnxGraph graph, Path file, long externalAbove) {
        long weightBytes = graph.initializers().stream().mapToLong(OnnxGraph.Initializer::byteSize).sum();
        boolean external = weightBytes > externalAbove;
        Path dataFile = file.resolveSibling(file.getFileName() + ".data");
        try {
            List<byte[]> tensors = new ArrayList<>();
            if (external) {
                writeExternalData(graph, dataFile, tensors);
            } else {
                Files.deleteIfExists(dataFile);
            }
            try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
                CodedOutputStream out = CodedOutputStream.newInstance(os, 1 << 16);
                out.writeInt64(1, IR_VERSION);
                out.writeString(2, "clip-spark");
                out.writeString(3, "0.1");
                out.writeByteArray(8, message(o -> {
                    o.writeString(1, "");
                    o.writeInt64(2, OPSET);
                }));
                writeGraph(out, graph, external ? tensors : null);
                out.flush();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
    }

    /** Field 7 of ModelProto: the GraphProto, its size computed first so weights can be streamed. */
    private static void writeGraph(CodedOutputStream out, OnnxGraph g, List<byte[]> externalTensors) throws IOException {
        List<byte[]> parts = new ArrayList<>();
        for (OnnxGraph.Node n : g.nodes()) {
            parts.add(field(1, node(n)));
        }
        parts.add(field(2, g.name().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        for (OnnxGraph.Value v : g.inputs()) {
            parts.add(field(11, valueInfo(v)));
        }
        for (OnnxGraph.Value v : g.outputs()) {
            parts.add(field(12, valueInfo(v)));
        }
        long size = parts.stream().mapToLong(p -> p.length).sum();
        List<byte[]> headers = new ArrayList<>();
        for (int i = 0; i < g.initializers().size(); i++) {
            OnnxGraph.Initializer t = g.initializers().get(i);
            byte[] outside = externalTensors != null ? externalTensors.get(i) : null;
            byte[] header = outside != null ? outside : tensorHeader(t);
            headers.add(header);
            long body = header.length + (outside != null ? 0 : rawFieldSize(t.byteSize()));
            size += CodedOutputStream.computeTagSize(5) + CodedOutputStream.computeUInt64SizeNoTag(body) + body;
        }
        out.writeTag(7, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        out.writeUInt64NoTag(size);
        for (byte[] p : parts) {
            out.writeRawBytes(p);
        }
        for (int i = 0; i < headers.size(); i++) {
            OnnxGraph.Initializer t = g.initializers().get(i);
            byte[] header = headers.get(i);
            boolean inline = externalTensors == null || externalTensors.get(i) == null;
            long body = header.length + (inline ? rawFieldSize(t.byteSize()) : 0);
            out.writeTag(5, WireFormat.WIRETYPE_LENGTH_DELIMITED);
            out.writeUInt64NoTag(body);
            out.writeRawBytes(header);
            if (inline) {
                out.writeTag(9, WireFormat.WIRETYPE_LENGTH_DELIMITED);
                out.writeUInt64NoTag(t.byteSize());
                out.writeRawBytes(rawData(t));
            }
        }
    }

    /**
     * Writes the bytes of every tensor of 1 KiB or more to the data file; adds to {@code tensors}
     * each one's TensorProto with its external_data entries (null for those that stay inline).
     */
    private static void writeExternalData(OnnxGraph g, Path dataFile, List<byte[]> tensors) throws IOException {
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(dataFile), 1 << 20)) {
            long offset = 0;
            for (OnnxGraph.Initializer t : g.initializers()) {
                if (t.byteSize() < INLINE_BELOW) {
                    tensors.add(null);
                    continue;
                }
                long start = offset;
                tensors.add(concat(tensorHeader(t), message(o -> {
                    o.writeByteArray(13, entry("location", dataFile.getFileName().toString()));
                    o.writeByteArray(13, entry("offset", Long.toString(start)));
                    o.writeByteArray(13, entry("length", Long.toString(t.byteSize())));
                    o.writeEnum(14, 1); // DataLocation.EXTERNAL
                })));
                ByteBuffer raw = rawData(t);
                os.write(raw.array(), raw.arrayOffset(), raw.remaining());
                offset += t.byteSize();
                long pad = (ALIGN - offset % ALIGN) % ALIGN;
                os.write(new byte[(int) pad]);
                offset += pad;
            }
        }
    }

    private static byte[] entry(String key, String value) throws IOException {
        return message(o -> {
            o.writeString(1, key);
            o.writeString(2, value);
        });
    }

    /** TensorProto's dims (1), data_type (2) and name (8): everything but the data. */
    private static byte[] tensorHeader(OnnxGraph.Initializer t) throws IOException {
        return message(o -> {
            for (long d : t.dims()) {
                o.writeInt64(1, d);
            }
            o.writeInt32(2, t.dataType());
            o.writeString(8, t.name());
        });
    }

    private static long rawFieldSize(long bytes) {
        return CodedOutputStream.computeTagSize(9) + CodedOutputStream.computeUInt64SizeNoTag(bytes) + bytes;
    }

    /** Little-endian values, as raw_data (9) must hold them. */
    private static ByteBuffer rawData(OnnxGraph.Initializer t) {
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(t.byteSize())).order(ByteOrder.LITTLE_ENDIAN);
        if (t.floats() != null) {
            b.asFloatBuffer().put(t.floats().castTo(DataType.FLOAT).dup('c').data().asFloat());
        } else {
            b.asLongBuffer().put(t.longs());
        }
        return b;
    }

    /** NodeProto: input (1), output (2), op_type (4), attribute (5). */
    private static byte[] node(OnnxGraph.Node n) throws IOException {
        return message(o -> {
            for (String in : n.inputs()) {
                o.writeString(1, in);
            }
            o.writeString(2, n.output());
            o.writeString(4, n.op());
            for (Attribute a : n.attributes()) {
                o.writeByteArray(5, attribute(a));
            }
        });
    }

    /** AttributeProto: name (1), f (2), i (3), ints (8, unpacked as proto2 declares it), type (20). */
    private static byte[] attribute(Attribute a) throws IOException {
        return message(o -> {
            o.writeString(1, a.name());
            switch (a.kind()) {
                case FLOAT -> o.writeFloat(2, a.floatValue());
                case INT -> o.writeInt64(3, a.intValue());
                case INTS -> {
                    for (long v : a.ints()) {
                        o.writeInt64(8, v);
                    }
                }
            }
            o.writeEnum(20, a.kind().code);
        });
    }

    /** ValueInfoProto: name (1), type (2) = TypeProto.tensor_type (1) {elem_type (1), shape (2) {dim (1) {dim_value (1) | dim_param (2)}}}. */
    private static byte[] valueInfo(OnnxGraph.Value v) throws IOException {
        byte[] shape = message(o -> {
            for (Object d : v.dims()) {
                o.writeByteArray(1, message(dim -> {
                    if (d instanceof String param) {
                        dim.writeString(2, param);
                    } else {
                        dim.writeInt64(1, ((Number) d).longValue());
                    }
                }));
            }
        });
        byte[] tensorType = message(o -> {
            o.writeInt32(1, v.elemType());
            o.writeByteArray(2, shape);
        });
        return message(o -> {
            o.writeString(1, v.name());
            o.writeByteArray(2, message(t -> t.writeByteArray(1, tensorType)));
        });
    }

    private interface Fields {
        void write(CodedOutputStream out) throws IOException;
    }

    private static byte[] message(Fields fields) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        fields.write(out);
        out.flush();
        return bytes.toByteArray();
    }

    /** A length-delimited field, tag included. */
    private static byte[] field(int number, byte[] value) throws IOException {
        return message(o -> o.writeByteArray(number, value));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
