package clip.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** NumPy {@code .npy} files (format 1.0-3.0, little-endian, C order), as the goldens and users' tools write them. */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private Npy() {
    }

    public static INDArray read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new BadInputException(file + ": no such file");
        } catch (IOException e) {
            throw new BadInputException(file + ": " + e.getMessage(), e);
        }
        return parse(bytes, file.toString());
    }

    static INDArray parse(byte[] bytes, String name) {
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < MAGIC.length; i++) {
            if (bytes.length <= i || bytes[i] != MAGIC[i]) {
                throw new BadInputException(name + ": not a .npy file (bad magic)");
            }
        }
        if (bytes.length < 10) {
            throw new BadInputException(name + ": truncated .npy header");
        }
        int major = bytes[6];
        buf.position(8);
        long headerLen = major == 1 ? Short.toUnsignedInt(buf.getShort()) : Integer.toUnsignedLong(buf.getInt());
        int dataStart = buf.position() + (int) headerLen;
        if (dataStart > bytes.length) {
            throw new BadInputException(name + ": truncated .npy header");
        }
        String header = new String(bytes, buf.position(), (int) headerLen, StandardCharsets.ISO_8859_1);
        String descr = match(DESCR, header, name, "descr");
        if ("True".equals(match(FORTRAN, header, name, "fortran_order"))) {
            throw new BadInputException(name + ": Fortran-order arrays are not supported; save with C order");
        }
        long[] shape = parseShape(match(SHAPE, header, name, "shape"));
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        DataType type = dataType(descr, name);
        long need = n * type.width();
        if (dataStart + need > bytes.length) {
            throw new BadInputException(name + ": truncated data: need " + need + " bytes, have " + (bytes.length - dataStart));
        }
        buf.position(dataStart);
        ByteBuffer data = buf.slice().order(ByteOrder.LITTLE_ENDIAN);
        INDArray out = Tensors.fromLittleEndian(data, type, (int) n);
        return shape.length == 0 ? out.reshape() : out.reshape('c', shape);
    }

    private static String match(Pattern p, String header, String name, String key) {
        Matcher m = p.matcher(header);
        if (!m.find()) {
            throw new BadInputException(name + ": .npy header has no '" + key + "'");
        }
        return m.group(1);
    }

    private static long[] parseShape(String s) {
        List<Long> dims = new ArrayList<>();
        for (String part : s.split(",")) {
            String t = part.trim();
            if (!t.isEmpty()) {
                dims.add(Long.parseLong(t.replace("L", "")));
            }
        }
        return dims.stream().mapToLong(Long::longValue).toArray();
    }

    private static DataType dataType(String descr, String name) {
        if (descr.startsWith(">")) {
            throw new BadInputException(name + ": big-endian arrays are not supported (descr " + descr + ")");
        }
        return switch (descr.replace("<", "").replace("|", "").replace("=", "")) {
            case "f4" -> DataType.FLOAT;
            case "f8" -> DataType.DOUBLE;
            case "f2" -> DataType.HALF;
            case "i8" -> DataType.LONG;
            case "i4" -> DataType.INT;
            case "i2" -> DataType.SHORT;
            case "u1" -> DataType.UBYTE;
            case "i1" -> DataType.BYTE;
            case "b1" -> DataType.BOOL;
            default -> throw new BadInputException(name + ": unsupported dtype " + descr);
        };
    }

    private static String descr(DataType t) {
        return switch (t) {
            case FLOAT -> "<f4";
            case DOUBLE -> "<f8";
            case HALF -> "<f2";
            case LONG -> "<i8";
            case INT -> "<i4";
            case SHORT -> "<i2";
            case UBYTE -> "|u1";
            case BYTE -> "|i1";
            case BOOL -> "|b1";
            default -> throw new IllegalArgumentException("cannot write dtype " + t + " to .npy");
        };
    }

    /** Writes {@code array} as a format-1.0 .npy file, via a temporary file so a reader never sees half of it. */
    public static void write(Path file, INDArray array) throws IOException {
        StringBuilder shape = new StringBuilder("(");
        long[] dims = array.shape();
        for (int i = 0; i < dims.length; i++) {
            shape.append(dims[i]);
            if (dims.length == 1 || i < dims.length - 1) {
                shape.append(dims.length == 1 ? "," : ", ");
            }
        }
        shape.append(")");
        String dict = "{'descr': '" + descr(array.dataType()) + "', 'fortran_order': False, 'shape': " + shape + ", }";
        int total = MAGIC.length + 4 + dict.length() + 1;
        int pad = (64 - total % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        byte[] data = Tensors.toLittleEndian(array);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            out.write(MAGIC);
            out.write(new byte[] {1, 0, (byte) (header.length() & 0xff), (byte) (header.length() >> 8)});
            out.write(header.getBytes(StandardCharsets.ISO_8859_1));
            out.write(data);
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
}
