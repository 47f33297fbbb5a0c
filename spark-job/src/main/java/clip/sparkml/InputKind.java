package clip.sparkml;

import clip.io.BadInputException;
import java.util.Locale;
import org.apache.spark.ml.image.ImageSchema;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** What an input column holds, decided by its type and the {@code inputKind} param. */
enum InputKind {
    /** Encoded image files (JPEG, PNG, ...): the {@code binaryFile} source's {@code content}, a table's image bytes. */
    IMAGE_BYTES,
    /** The {@code image} data source's struct: pixels Spark already decoded, B,G,R(,A) or gray. */
    IMAGE_STRUCT,
    /** Paths or URIs of image files, read through Hadoop's FileSystem on the executor. */
    IMAGE_PATH,
    TEXT;

    /** The {@code inputKind} values: auto (binary and image structs are images, strings are texts), image, path, text. */
    static final String[] NAMES = {"auto", "image", "path", "text"};

    boolean isImage() {
        return this != TEXT;
    }

    static InputKind of(String column, DataType type, String requested) {
        boolean bytes = type.equals(DataTypes.BinaryType);
        boolean struct = type instanceof StructType s && isImageStruct(s);
        boolean string = type.equals(DataTypes.StringType);
        switch (requested.toLowerCase(Locale.ROOT)) {
            case "auto":
            case "image":
                if (bytes) {
                    return IMAGE_BYTES;
                }
                if (struct) {
                    return IMAGE_STRUCT;
                }
                if (string && requested.equals("auto")) {
                    return TEXT;
                }
                break;
            case "path":
                if (string) {
                    return IMAGE_PATH;
                }
                break;
            case "text":
                if (string) {
                    return TEXT;
                }
                break;
            default:
                throw new BadInputException("inputKind must be one of " + String.join(", ", NAMES) + ", not '" + requested + "'");
        }
        throw new BadInputException("column " + column + " has type " + type.simpleString() + ", which inputKind " + requested
                + " cannot read (images: binary or the image source's struct; paths and texts: string)");
    }

    private static boolean isImageStruct(StructType s) {
        for (String field : ImageSchema.columnSchema().fieldNames()) {
            if (!java.util.Arrays.asList(s.fieldNames()).contains(field)) {
                return false;
            }
        }
        return true;
    }
}
