package clip.prep.source;

import clip.io.BadInputException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A dataset's JSON annotation file on any Hadoop FileSystem, read as a stream: the top-level
 * object's arrays are handed over one element at a time, so COCO's 90 MB caption file never sits
 * in memory as one tree. Malformed JSON and missing fields are one-line errors naming the file.
 */
final class AnnotationFile {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path path;
    private final String name;
    private final Configuration conf;

    AnnotationFile(Path path, String name, Configuration conf) {
        this.path = path;
        this.name = name;
        this.conf = conf;
    }

    String name() {
        return name;
    }

    boolean exists() throws IOException {
        return path.getFileSystem(conf).exists(path);
    }

    /** Streams each element of the top-level arrays named in {@code handlers}; other keys are skipped. */
    void readArrays(Map<String, Consumer<Element>> handlers) throws IOException {
        FileSystem fs = path.getFileSystem(conf);
        if (!fs.exists(path)) {
            throw new BadInputException(name + ": no such file (" + path + ")");
        }
        try (InputStream in = fs.open(path); JsonParser p = JSON.getFactory().createParser(in)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new BadInputException(name + ": expected a JSON object at the top " + at(p.currentLocation()));
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                JsonToken value = p.nextToken();
                Consumer<Element> handler = handlers.get(key);
                if (handler == null) {
                    p.skipChildren();
                    continue;
                }
                if (value != JsonToken.START_ARRAY) {
                    throw new BadInputException(name + ": \"" + key + "\" should be an array " + at(p.currentLocation()));
                }
                int index = 0;
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    JsonNode node = JSON.readTree(p);
                    handler.accept(new Element(key, index++, node));
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
                throw new BadInputException(name + ": unexpected content after the top-level object " + at(p.currentLocation()));
            }
        } catch (JsonProcessingException e) {
            throw new BadInputException(name + ": malformed JSON " + at(e.getLocation()) + ": " + e.getOriginalMessage().lines().findFirst().orElse(""));
        }
    }

    private static String at(JsonLocation l) {
        return l == null ? "" : "at line " + l.getLineNr() + ", column " + l.getColumnNr();
    }

    /** One element of a top-level array, with accessors that name the file and element when a field is missing. */
    final class Element {
        private final String array;
        private final int index;
        private final JsonNode node;

        Element(String array, int index, JsonNode node) {
            this.array = array;
            this.index = index;
            this.node = node;
        }

        long number(String field) {
            JsonNode v = node.get(field);
            if (v == null || !v.canConvertToLong()) {
                throw missing(field, "an integer");
            }
            return v.asLong();
        }

        double decimal(String field) {
            JsonNode v = node.get(field);
            if (v == null || !v.isNumber()) {
                throw missing(field, "a number");
            }
            return v.asDouble();
        }

        int intOr(String field, int fallback) {
            JsonNode v = node.get(field);
            return v == null || !v.canConvertToInt() ? fallback : v.asInt();
        }

        String text(String field) {
            JsonNode v = node.get(field);
            if (v == null || !v.isTextual()) {
                throw missing(field, "a string");
            }
            return v.asText();
        }

        JsonNode array(String field) {
            JsonNode v = node.get(field);
            if (v == null || !v.isArray()) {
                throw missing(field, "an array");
            }
            return v;
        }

        BadInputException missing(String field, String what) {
            return new BadInputException(name + ": " + array + "[" + index + "] needs \"" + field + "\" as " + what);
        }
    }
}
