package clip.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The safetensors format: an 8-byte little-endian header length, a JSON header mapping each
 * tensor name to dtype, shape and byte range, then the raw data. F16 and BF16 tensors are
 * widened to float32 on read.
 */
public final class SafeTensors {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_HEADER = 100L << 20;

    private SafeTensors() {
    }

    /** Every tensor of the file, in header order. */
    public static Map<String, INDArray> read(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return parse(new Source() {
                @Override
                public long size() throws IOException {
                    return ch.size();
                }

                @Override
                public void read(ByteBuffer dst, long pos) throws IOException {
                    readFully(ch, dst, pos);
                }
            }, file.toString());
        } catch (NoSuchFileException e) {
            throw new BadInputException(file + ": no such file");
        } catch (IOException e) {
            throw new BadInputException(file + ": " + oneLine(e), e);
        }
    }

    /** Reads a whole safetensors stream (e.g. from a Hadoop FileSystem); {@code name} is used in errors. */
    public static Map<String, INDArray> read(java.io.InputStream in, String name) throws IOException {
        byte[] bytes = in.readAllBytes();
        return parse(new Source() {
            @Override
            public long size() {
                return bytes.length;
            }

            @Override
            public void read(ByteBuffer dst, long pos) {
                dst.put(bytes, (int) pos, dst.remaining());
            }
        }, name);
    }

    /** Random access to the bytes of one file, however it is stored. */
    private interface Source {
        long size() throws IOException;

        void read(ByteBuffer dst, long pos) throws IOException;
    }

    private static Map<String, INDArray> parse(Source src, String name) throws IOException {
        long size = src.size();
        if (size < 8) {
            throw new BadInputException(name + ": truncated safetensors header (file has " + size + " bytes)");
        }
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        src.read(lenBuf, 0);
        long headerLen = lenBuf.getLong(0);
        if (headerLen <= 0 || headerLen > MAX_HEADER || 8 + headerLen > size) {
            throw new BadInputException(name + ": truncated or corrupt safetensors header (declares "
                    + headerLen + " header bytes, file has " + size + ")");
        }
        ByteBuffer headerBuf = ByteBuffer.allocate((int) headerLen);
        src.read(headerBuf, 8);
        JsonNode header;
        try {
            header = JSON.readTree(new String(headerBuf.array(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new BadInputException(name + ": safetensors header is not valid JSON: " + oneLine(e));
        }
        long dataStart = 8 + headerLen;
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getKey().equals("__metadata__")) {
                out.put(e.getKey(), readTensor(src, name, e.getKey(), e.getValue(), dataStart, size));
            }
        }
        return out;
    }

    private static INDArray readTensor(Source src, String file, String key, JsonNode info, long dataStart, long size)
            throws IOException {
        DataType type = dataType(info.path("dtype").asText(), file, key);
        JsonNode shapeNode = info.path("shape");
        long[] shape = new long[shapeNode.size()];
        long n = 1;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = shapeNode.get(i).asLong();
            n *= shape[i];
        }
        long begin = info.path("data_offsets").path(0).asLong(-1);
        long end = info.path("data_offsets").path(1).asLong(-1);
        int width = switch (info.path("dtype").asText()) {
            case "F16", "BF16" -> 2;
            default -> type.width();
        };
        if (begin < 0 || end < begin || end - begin != n * width) {
            throw new BadInputException(file + ": tensor '" + key + "' has data_offsets [" + begin + ", " + end
                    + "] that do not fit its shape " + java.util.Arrays.toString(shape));
        }
        if (dataStart + end > size) {
            throw new BadInputException(file + ": tensor '" + key + "' runs past the end of the file (truncated?)");
        }
        if (n > Integer.MAX_VALUE) {
            throw new BadInputException(file + ": tensor '" + key + "' has more than 2^31 elements");
        }
        ByteBuffer data = ByteBuffer.allocate((int) (end - begin)).order(ByteOrder.LITTLE_ENDIAN);
        src.read(data, dataStart + begin);
        data.flip();
        INDArray flat = Tensors.fromLittleEndian(data, type, (int) n);
        return shape.length == 0 ? flat.reshape() : flat.reshape('c', shape);
    }

    private static DataType dataType(String dtype, String file, String key) {
        return switch (dtype) {
            case "F32" -> DataType.FLOAT;
            case "F64" -> DataType.DOUBLE;
            case "F16" -> DataType.HALF;
            case "BF16" -> DataType.BFLOAT16;
            case "I64" -> DataType.LONG;
            case "I32" -> DataType.INT;
            case "I16" -> DataType.SHORT;
            case "I8" -> DataType.BYTE;
            case "U8" -> DataType.UBYTE;
            case "BOOL" -> DataType.BOOL;
            default -> throw new BadInputException(file + ": tensor '" + key + "' has unsupported dtype " + dtype);
        };
    }

    private static String code(DataType t) {
        return switch (t) {
            case FLOAT -> "F32";
            case DOUBLE -> "F64";
            case LONG -> "I64";
            case INT -> "I32";
            case SHORT -> "I16";
            case BYTE -> "I8";
            case UBYTE -> "U8";
            case BOOL -> "BOOL";
            default -> throw new IllegalArgumentException("cannot write dtype " + t + " to safetensors");
        };
    }

    /**
     * Writes the tensors with {@code __metadata__: {"format": "pt"}} (which {@code from_pretrained}
     * requires), through a temporary file renamed into place, so an interrupted write leaves no
     * half-written checkpoint behind.
     */
    public static void write(Path file, Map<String, INDArray> tensors) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            write(out, tensors);
        }
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Streams the file format to {@code out} (e.g. a Hadoop FileSystem stream); the caller closes it. */
    public static void write(OutputStream sink, Map<String, INDArray> tensors) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        header.putObject("__metadata__").put("format", "pt");
        long offset = 0;
        for (Map.Entry<String, INDArray> e : tensors.entrySet()) {
            INDArray a = e.getValue();
            long bytes = a.length() * a.dataType().width();
            ObjectNode info = header.putObject(e.getKey());
            info.put("dtype", code(a.dataType()));
            var shape = info.putArray("shape");
            for (long d : a.shape()) {
                shape.add(d);
            }
            info.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        byte[] headerBytes = new byte[padded];
        java.util.Arrays.fill(headerBytes, (byte) ' ');
        System.arraycopy(json, 0, headerBytes, 0, json.length);
        OutputStream out = new java.io.BufferedOutputStream(sink, 1 << 20);
        out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
        out.write(headerBytes);
        for (INDArray a : tensors.values()) {
            out.write(Tensors.toLittleEndian(a));
        }
        out.flush();
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            int r = ch.read(buf, pos + buf.position());
            if (r < 0) {
                throw new IOException("unexpected end of file");
            }
        }
    }

    private static String oneLine(Exception e) {
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
