package clip.train;

import clip.io.LocalFiles;
import clip.io.WriteFailure;
import clip.data.ImagePreprocessor;
import clip.data.SyntheticShapes;
import clip.eval.EvalInputs;
import clip.validation.EvalSet;
import clip.eval.EncoderModel;
import clip.eval.Metrics;
import clip.eval.Templates;
import clip.data.TextEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.apache.hadoop.conf.Configuration;

/**
 * Rank 0's evaluations on the held-out split, during training and at the end: each is appended
 * to eval-log.jsonl, and the model of the best one so far by {@code clip.eval.metric} is kept
 * as an HF folder in {@code best/} (with its metrics and step), replaced only whole.
 */
public final class Validation {
    static final String EVAL_LOG = "eval-log.jsonl";
    static final String BEST = "best";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final TrainConfig config;
    private final ModelFactory.Built built;
    private final EncoderModel encoder;
    private final Templates templates;
    private final ImagePreprocessor pre;
    private final Configuration hadoop;
    private EvalInputs inputs;
    private double best;

    /** @param text and {@code pre}: the text and image preprocessing training uses (pre's size is the model's) */
    Validation(TrainConfig config, ModelFactory.Built built, TextEncoder text, ImagePreprocessor pre, Configuration hadoop)
            throws IOException {
        this.config = config;
        this.built = built;
        // What bin/clip eval reads back from the exported folder: preprocessor_config.json, and
        // tokenizer_config.json's model_max_length.
        this.encoder = new EncoderModel(built.model(), ShardImages.pipeline(pre), text);
        this.pre = pre;
        this.templates = Templates.named(config.eval().templates());
        this.hadoop = hadoop;
        this.best = bestSoFar();
    }

    /** The zero-shot templates every evaluation of this run uses. */
    Templates templates() {
        return templates;
    }

    /** Evaluates the model as it is after {@code step}; logs it and keeps it if it is the best. */
    Metrics evaluate(long step) throws IOException {
        // eval mode: running statistics, no dropout, and no exchange (only rank 0 evaluates)
        built.model().setTraining(false, false);
        Metrics metrics;
        try {
            metrics = encoder.evaluate(inputs(), templates, null).metrics();
        } finally {
            config.train().mode().train(built.model());
        }
        ObjectNode line = metrics.toLogLine(step);
        Path log = config.outputDir().resolve(EVAL_LOG);
        try (Writer w = Files.newBufferedWriter(log, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            w.write(JSON.writeValueAsString(line) + "\n");
        } catch (IOException e) {
            throw WriteFailure.naming(log, e);
        }
        double value = metrics.value(config.eval().metric());
        if (value > best) {
            best = value;
            keep(step, line);
        }
        return metrics;
    }

    /** Writes the model beside best/, then swaps it in: a crash leaves the old best or the new one. */
    private void keep(long step, ObjectNode line) throws IOException {
        Path out = config.outputDir();
        Path fresh = out.resolve(BEST + ".tmp");
        LocalFiles.deleteTree(fresh);
        try {
            HfExport.write(built, config.model().maxTextLength(), fresh);
            JSON.writerWithDefaultPrettyPrinter().writeValue(fresh.resolve("metrics.json").toFile(),
                    line.deepCopy().put("metric", config.eval().metric()).put("value", best));
        } catch (IOException e) {
            throw WriteFailure.naming(fresh, e);
        }
        LocalFiles.replaceTree(fresh, out.resolve(BEST));
    }

    /** The best value kept by an earlier part of this run (a resumed run goes on comparing against it). */
    private double bestSoFar() throws IOException {
        Path out = config.outputDir();
        if (!Files.exists(out.resolve(BEST)) && Files.exists(out.resolve(BEST + ".old"))) {
            Files.move(out.resolve(BEST + ".old"), out.resolve(BEST)); // a crash between the two renames
        }
        Path kept = out.resolve(BEST).resolve("metrics.json");
        if (!Files.isRegularFile(kept)) {
            return Double.NEGATIVE_INFINITY;
        }
        JsonNode m = JSON.readTree(kept.toFile());
        return m.path("metric").asText().equals(config.eval().metric()) ? m.path("value").asDouble() : Double.NEGATIVE_INFINITY;
    }

    private EvalInputs inputs() throws IOException {
        if (inputs == null) {
            TrainConfig.Data data = config.data();
            if (data.source() == TrainConfig.DataSource.SHARDS) {
                inputs = EvalSet.open(data.shards(), data.valSplit(), data.valImagesAtMost(), hadoop).inputs(encoder.images());
            } else {
                inputs = ShapeEvalInputs.inputs(new ShapeImages(SyntheticShapes.scenes(data.synthetic().valImages(),
                        data.synthetic().seed() + 1), pre, config.train().seed()), SyntheticShapes.categories());
            }
        }
        return inputs;
    }
}
