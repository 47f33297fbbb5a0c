package clip.cli;

import clip.eval.EncoderModel;
import clip.plot.EvalPictures;
import clip.validation.EvalSet;
import clip.eval.Evaluator;
import clip.eval.Metrics;
import clip.eval.Templates;
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
                "  --templates T        zero-shot prompts: clip-80 (default, the CLIP paper's 80), simple, or a file with",
                "                       one per line and {} for the class",
                "  --limit N            evaluate only the first N images (default: all)",
                "  --max-text-length N  BERT captions are cut at N tokens (default: the folder's tokenizer_config.json",
                "                       model_max_length, which training sets to its own length, else 64; CLIP models use 77)",
                "  --pictures N         PNGs of N images spread over the split (text-to-image grid, top captions,",
                "                       zero-shot bars) in OUT/pictures (default 4; 0 = none)",
                "The same model, split and templates give exactly the metrics of training's own validation.",
                "zero-shot labels: each image's largest-area category in COCO's annotations/instances_<split>2017.json");
    }

    @Override
    public int run(Args args, PrintStream out) throws Exception {
        Path modelDir = args.path("model");
        String data = args.required("data");
        Path outDir = args.path("out");
        String split = args.string("split", "val");
        String templatesName = args.string("templates", Templates.CLIP_80);
        int limit = args.integer("limit", Integer.MAX_VALUE);
        int maxText = args.integer("max-text-length", 0);
        int pictures = args.integer("pictures", 4);
        args.rejectUnknown();
        Templates templates = Templates.named(templatesName);

        EncoderModel model = EncoderModel.load(modelDir, maxText, "eval");
        EvalSet set = EvalSet.open(data, split, limit, new Configuration());
        out.printf("eval: %s: %d images, %d captions, %d zero-shot classes, templates %s%n", set.description(), set.items().size(),
                set.captionCount(), set.classes().size(), templates);

        Evaluator.Report report = model.evaluate(set.inputs(model.images()), templates, out);
        Files.createDirectories(outDir);
        report.metrics().write(outDir.resolve("metrics.json"));
        Metrics m = report.metrics();
        int queries = m.images() + m.captions();
        String summary = String.format("%s: %d images, %d captions%n", set.description(), m.images(), m.captions()) + m.summary(templates)
                + String.format("retrieval ranking took %.3f s for %d queries (%.3f s per 1,000)%n", report.retrievalSeconds(), queries,
                1000 * report.retrievalSeconds() / Math.max(queries, 1));
        Files.writeString(outDir.resolve("summary.txt"), summary, StandardCharsets.UTF_8);
        out.print(summary);
        if (pictures > 0) {
            List<Path> drawn = new EvalPictures(set, report, Math.exp(model.model().logitScale().value().getDouble(0)))
                    .write(outDir.resolve("pictures"), pictures);
            out.printf("pictures: %d PNG files in %s%n", drawn.size(), outDir.resolve("pictures"));
        }
        return 0;
    }
}
