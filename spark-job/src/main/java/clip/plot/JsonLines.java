package clip.plot;

import clip.io.BadInputException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The run logs the trainer writes, one JSON object per line: {@code train-log.jsonl} (step, loss,
 * lr_image, grad_norm, logit_scale) and an evaluation log (step plus any numbers, nested objects
 * named with '/': {"step": 600, "text_to_image": {"R@5": 41.2}} is metric "text_to_image/R@5").
 * Blank lines are skipped; anything else that is not such an object names its file and line.
 */
public final class JsonLines {
    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonLines() {
    }

    public static List<TrainLogEntry> trainLog(Path file) {
        List<TrainLogEntry> entries = new ArrayList<>();
        read(file, (line, o) -> entries.add(new TrainLogEntry(step(file, line, o), number(file, line, o, "loss", true),
                number(file, line, o, "lr_image", false), number(file, line, o, "grad_norm", false),
                number(file, line, o, "logit_scale", false))));
        return entries;
    }

    public static List<MetricPoint> metricLog(Path file) {
        List<MetricPoint> points = new ArrayList<>();
        read(file, (line, o) -> {
            long step = step(file, line, o);
            flatten("", o, (name, v) -> {
                if (!name.equals("step")) {
                    points.add(new MetricPoint(step, name, v));
                }
            });
        });
        return points;
    }

    private interface LineHandler {
        void accept(int line, JsonNode object);
    }

    private static void read(Path file, LineHandler handler) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new BadInputException(file + ": no such file");
        } catch (IOException e) {
            throw new BadInputException(file + ": " + e.getMessage());
        }
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            JsonNode o;
            try {
                o = JSON.readTree(lines.get(i));
            } catch (JsonProcessingException e) {
                throw new BadInputException(file + " line " + (i + 1) + ": malformed JSON: " + e.getOriginalMessage());
            }
            if (!o.isObject()) {
                throw new BadInputException(file + " line " + (i + 1) + ": expected a JSON object");
            }
            handler.accept(i + 1, o);
        }
    }

    private static long step(Path file, int line, JsonNode o) {
        JsonNode s = o.get("step");
        if (s == null || !s.canConvertToLong()) {
            throw new BadInputException(file + " line " + line + ": missing integer \"step\"");
        }
        return s.asLong();
    }

    private static double number(Path file, int line, JsonNode o, String key, boolean required) {
        JsonNode v = o.get(key);
        if (v == null || v.isNull()) {
            if (required) {
                throw new BadInputException(file + " line " + line + ": missing \"" + key + "\"");
            }
            return Double.NaN;
        }
        if (!v.isNumber()) {
            throw new BadInputException(file + " line " + line + ": \"" + key + "\" is not a number");
        }
        return v.asDouble();
    }

    private static void flatten(String prefix, JsonNode o, java.util.function.ObjDoubleConsumer<String> sink) {
        for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = prefix + e.getKey();
            if (e.getValue().isNumber()) {
                sink.accept(name, e.getValue().asDouble());
            } else if (e.getValue().isObject()) {
                flatten(name + "/", e.getValue(), sink);
            }
        }
    }
}
