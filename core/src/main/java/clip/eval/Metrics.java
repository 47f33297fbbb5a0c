package clip.eval;

import clip.io.BadInputException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The numbers of one evaluation: retrieval both ways, zero-shot accuracy (null when the split
 * has no object categories) and what was ranked. This is the only place that knows the keys of
 * metrics.json and of eval-log.jsonl's lines.
 */
public record Metrics(Recalls imageToText, Recalls textToImage, ZeroShotAccuracy zeroShot, int images, int captions) {
    /** Percentages of queries whose right answer is in the top 1, 5, 10, and the median 1-based rank. */
    public record Recalls(double r1, double r5, double r10, double medianRank) {
        public static Recalls of(Ranks ranks) {
            return new Recalls(ranks.recallAt(1), ranks.recallAt(5), ranks.recallAt(10), ranks.medianRank());
        }
    }

    /** Percentages of labelled images whose class is the first / among the first five, over {@code classes} classes. */
    public record ZeroShotAccuracy(double top1, double top5, int classes) {
    }

    /** Every name {@link #value} understands: the choices of eval.metric and retrain.metric. */
    public static final List<String> NAMES = List.of("mean_recall", "image_to_text.R@1", "image_to_text.R@5",
            "image_to_text.R@10", "text_to_image.R@1", "text_to_image.R@5", "text_to_image.R@10", "zero_shot.top1",
            "zero_shot.top5");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String I2T = "image_to_text";
    private static final String T2I = "text_to_image";
    private static final String ZS = "zero_shot";

    /** The mean of the six retrieval recalls. */
    public double meanRecall() {
        return (imageToText.r1 + imageToText.r5 + imageToText.r10 + textToImage.r1 + textToImage.r5 + textToImage.r10) / 6;
    }

    /** One of {@link #NAMES}; zero-shot accuracy that was not measured counts as 0. */
    public double value(String name) {
        return switch (name) {
            case "mean_recall" -> meanRecall();
            case "image_to_text.R@1" -> imageToText.r1;
            case "image_to_text.R@5" -> imageToText.r5;
            case "image_to_text.R@10" -> imageToText.r10;
            case "text_to_image.R@1" -> textToImage.r1;
            case "text_to_image.R@5" -> textToImage.r5;
            case "text_to_image.R@10" -> textToImage.r10;
            case "zero_shot.top1" -> zeroShot == null ? 0 : zeroShot.top1;
            case "zero_shot.top5" -> zeroShot == null ? 0 : zeroShot.top5;
            default -> throw new IllegalArgumentException("no metric " + name + "; one of " + NAMES);
        };
    }

    /** metrics.json: {"image_to_text": {"R@1", "R@5", "R@10", "median_rank"}, "text_to_image": {...}, "zero_shot": {"top1", "top5", "classes"} or null, "images", "captions"}. */
    public ObjectNode toJson() {
        ObjectNode out = JSON.createObjectNode();
        out.set(I2T, recalls(imageToText).put("median_rank", imageToText.medianRank));
        out.set(T2I, recalls(textToImage).put("median_rank", textToImage.medianRank));
        out.set(ZS, zeroShot == null ? null : JSON.createObjectNode().put("top1", zeroShot.top1).put("top5", zeroShot.top5)
                .put("classes", zeroShot.classes));
        return out.put("images", images).put("captions", captions);
    }

    /** A line of eval-log.jsonl: percentages only, so they share a chart's axis (recalls, zero-shot accuracy, their mean). */
    public ObjectNode toLogLine(long step) {
        ObjectNode line = JSON.createObjectNode().put("step", step);
        line.set(I2T, recalls(imageToText));
        line.set(T2I, recalls(textToImage));
        if (zeroShot != null) {
            line.putObject(ZS).put("top1", zeroShot.top1).put("top5", zeroShot.top5);
        }
        return line.put("mean_recall", meanRecall());
    }

    /**
     * The lines training's validation and bin/clip eval both print, so their numbers can be
     * compared at a glance: each direction's recalls and median rank, zero-shot accuracy with the
     * templates it used, and chance.
     */
    public String summary(Templates templates) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("image to text  R@1 %5.1f%%  R@5 %5.1f%%  R@10 %5.1f%%  median rank %s%n", imageToText.r1,
                imageToText.r5, imageToText.r10, rank(imageToText.medianRank)));
        sb.append(String.format("text to image  R@1 %5.1f%%  R@5 %5.1f%%  R@10 %5.1f%%  median rank %s%n", textToImage.r1,
                textToImage.r5, textToImage.r10, rank(textToImage.medianRank)));
        if (zeroShot == null) {
            sb.append("zero-shot      not evaluated (the data has no object categories for this split)\n");
        } else {
            sb.append(String.format("zero-shot      top-1 %5.1f%%  top-5 %5.1f%%  over %d classes, templates %s%n", zeroShot.top1,
                    zeroShot.top5, zeroShot.classes, templates));
        }
        return sb.append(String.format("chance         R@1 %.1f%% both ways (%d images, %.1f captions each)%s%n",
                100.0 / images, images, (double) captions / images,
                zeroShot == null ? "" : String.format(", zero-shot top-1 %.1f%%", 100.0 / zeroShot.classes))).toString();
    }

    /** A median of an even count can be a half: print it so, and whole ranks without a decimal. */
    private static String rank(double r) {
        return r == Math.rint(r) ? String.format("%.0f", r) : String.format("%.1f", r);
    }

    private static ObjectNode recalls(Recalls r) {
        return JSON.createObjectNode().put("R@1", r.r1).put("R@5", r.r5).put("R@10", r.r10);
    }

    /** Reads what {@link #toJson} wrote; {@code source} names the file in the error when a key is missing. */
    public static Metrics fromJson(JsonNode m, String source) {
        JsonNode zs = m.path(ZS);
        return new Metrics(recallsOf(m, I2T, source), recallsOf(m, T2I, source),
                zs.isObject() ? new ZeroShotAccuracy(number(zs, "top1", source), number(zs, "top5", source),
                        (int) number(zs, "classes", source)) : null,
                (int) number(m, "images", source), (int) number(m, "captions", source));
    }

    private static Recalls recallsOf(JsonNode m, String direction, String source) {
        JsonNode d = m.path(direction);
        return new Recalls(number(d, "R@1", source), number(d, "R@5", source), number(d, "R@10", source),
                number(d, "median_rank", source));
    }

    private static double number(JsonNode node, String key, String source) {
        JsonNode v = node.get(key);
        if (v == null || !v.isNumber()) {
            throw new BadInputException(source + ": metrics without a number \"" + key + "\"");
        }
        return v.asDouble();
    }

    public void write(Path file) throws IOException {
        JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), toJson());
    }

    public static Metrics read(Path file) throws IOException {
        return fromJson(JSON.readTree(file.toFile()), file.toString());
    }
}
