package clip.eval;

import clip.io.BadInputException;
import clip.model.ContrastiveModel;
import clip.model.HfModel;
import clip.model.HfModels;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * An HF model folder ready to be evaluated: the contrastive model with the tokenizer and the
 * image processing of that folder, so two folders evaluated on one {@link EvalSet} are each
 * fed the way they were trained.
 */
public record EvalModel(ContrastiveModel model, TextEncoder text, ImagePipeline images) {
    /** @param maxTextLength BERT captions are cut at this many tokens (CLIP models use their own length) */
    public static EvalModel load(Path dir, int maxTextLength) throws IOException {
        HfModel hf = HfModels.load(dir, DataType.FLOAT);
        if (!hf.modelType().equals("clip") && !hf.modelType().equals("vision-text-dual-encoder")) {
            throw new BadInputException(dir + ": eval needs a CLIPModel or VisionTextDualEncoderModel, not model_type " + hf.modelType());
        }
        return new EvalModel(hf.asContrastive(), TextEncoder.forModel(dir, hf, maxTextLength), ImagePipeline.forModel(dir, hf));
    }

    /** @param progress where embedding progress is printed, or null */
    public Evaluator.Report evaluate(EvalSet set, List<String> templates, int batch, PrintStream progress) throws IOException {
        return new Evaluator(model, text, batch, progress).evaluate(EvalInputs.of(set, images), templates);
    }
}
