package clip.cli;

import clip.eval.EncoderModel;
import clip.plot.EvalPictures;
import clip.validation.EvalSet;
import clip.eval.Evaluator;
import clip.eval.Templates;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;

/** {@code bin/clip eval}: retrieval and zero-shot metrics of an HF-format model on a dataset split. */
public final class EvalCommand implements Command {
    @Override
    public String name() {
        return "eval";
    }

    @Override
    public String summary() {
        return "retrieval Recall@1/5/10 both ways and zero-shot accuracy of a model on a split";
    }

    @Override
    public String usage() {
        return String.join("\n",
                "usage: bin/clip eval --model DIR --data SHARDS|COCO_ROOT --out DIR [options]",
                "  --model DIR          an HF CLIPModel or VisionTextDualEncoderModel folder (trained here or downloaded)",
                "  --data PATH          data-prep output (manifest.json) or a COCO 2017 root as downloaded; local or Hadoop URI",
                "  --out DIR            where metrics.json and summary.txt are written",
                "  --split NAME         the split to evaluate (default val; COCO's 5k protocol is val2017's 5,000 images)",
                "  --templates FILE     zero-shot prompts, one per line with {} for the class (default: the CLIP paper's 80)",
                "  --limit N            evaluate only the first N images (default: all)",
                "  --batch N            images or captions per forward pass (default 64)",
                "  --max-text-length N  BERT captions are cut at N tokens (default 64; CLIP models use their 77)",
                "  --pictures N         PNGs of N images spread over the split (text-to-image grid, top captions,",
                "                       zero-shot bars) in OUT/pictures (default 4; 0 = none)",
                "zero-shot labels: each image's largest-area category in COCO's annotations/instances_<split>2017.json");
    }

    @Override
    public int run(Args args, PrintStream out) throws Exception {
        Path modelDir = args.path("model");
        String data = args.required("data");
        Path outDir = args.path("out");
        String split = args.string("split", "val");
        String templatesFile = args.string("templates", null);
        int limit = args.integer("limit", Integer.MAX_VALUE);
        int batch = args.integer("batch", 64);
        int maxText = args.integer("max-text-length", 64);
        int pictures = args.integer("pictures", 4);
        args.rejectUnknown();
        List<String> templates = Templates.named(templatesFile == null ? Templates.CLIP_80 : templatesFile);

        EncoderModel model = EncoderModel.load(modelDir, maxText, "eval");
        EvalSet set = EvalSet.open(data, split, limit, new Configuration());
        out.printf("eval: %s: %d images, %d captions, %d zero-shot classes%n", set.description(), set.items().size(),
                set.captionCount(), set.classes().size());

        Evaluator.Report report = model.evaluate(set.inputs(model.images()), templates, batch, out);
        Files.createDirectories(outDir);
        ObjectMapper json = new ObjectMapper();
        json.writerWithDefaultPrettyPrinter().writeValue(outDir.resolve("metrics.json").toFile(), report.metrics());
        String summary = summary(report, set);
        Files.writeString(outDir.resolve("summary.txt"), summary, StandardCharsets.UTF_8);
        out.print(summary);
        if (pictures > 0) {
            List<Path> drawn = new EvalPictures(set, report, Math.exp(model.model().logitScale().value().getDouble(0)))
                    .write(outDir.resolve("pictures"), pictures);
            out.printf("pictures: %d PNG files in %s%n", drawn.size(), outDir.resolve("pictures"));
        }
        return 0;
    }

    private static String summary(Evaluator.Report report, EvalSet set) {
        ObjectNode m = report.metrics();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%s: %d images, %d captions%n", set.description(), m.get("images").asInt(), m.get("captions").asInt()));
        for (String direction : List.of("image_to_text", "text_to_image")) {
            JsonNode d = m.get(direction);
            sb.append(String.format("%-14s R@1 %5.1f%%  R@5 %5.1f%%  R@10 %5.1f%%  median rank %.0f%n", direction.replace('_', ' '),
                    d.get("R@1").asDouble(), d.get("R@5").asDouble(), d.get("R@10").asDouble(),
                    d.get("median_rank").asDouble()));
        }
        JsonNode zs = m.get("zero_shot");
        if (zs == null || zs.isNull()) {
            sb.append("zero-shot      not evaluated (the data has no object categories for this split)\n");
        } else {
            sb.append(String.format("zero-shot      top-1 %5.1f%%  top-5 %5.1f%%  over %d classes%n", zs.get("top1").asDouble(),
                    zs.get("top5").asDouble(), zs.get("classes").asInt()));
        }
        int queries = m.get("images").asInt() + m.get("captions").asInt();
        sb.append(String.format("retrieval ranking took %.3f s for %d queries (%.3f s per 1,000)%n", report.retrievalSeconds(), queries,
                1000 * report.retrievalSeconds() / Math.max(queries, 1)));
        return sb.toString();
    }
}
