package clip.eval;

import clip.data.ImagePipeline;
import clip.data.TextEncoder;

import clip.io.BadInputException;
import clip.model.ContrastiveModel;
import clip.model.HfModel;
import clip.model.HfModels;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * A model ready for encoding: the model, and the image pipeline and tokenizer it was trained
 * with, so every command that embeds (eval, embed, search) and training's own validation prepare
 * their inputs the same way. Training builds one for the model it trains; the others load an HF folder.
 */
public record EncoderModel(ContrastiveModel model, ImagePipeline images, TextEncoder text) {
    /**
     * @param maxTextLength BERT captions are cut at this many tokens (CLIP models use their own 77);
     *                      0: the length the folder's tokenizer_config.json gives (what training used)
     * @param command       who asks, for the error naming what it needs
     */
    public static EncoderModel load(Path dir, int maxTextLength, String command) throws IOException {
        HfModel hf = HfModels.load(dir, DataType.FLOAT);
        checkType(hf.modelType(), dir.toString(), command);
        return new EncoderModel(hf.asContrastive(), ImagePipeline.forModel(dir, hf), TextEncoder.forModel(dir, hf, maxTextLength));
    }

    /** Refuses a model_type that is not an image-text model, naming the folder and the command. */
    public static void checkType(String modelType, String dir, String command) {
        if (!modelType.equals("clip") && !modelType.equals("vision-text-dual-encoder")) {
            throw new BadInputException(dir + ": " + command + " needs a CLIPModel or VisionTextDualEncoderModel, not model_type "
                    + modelType);
        }
    }

    /** Retrieval and zero-shot metrics; prepare the inputs with {@link #images()} as this folder's model expects. */
    public Evaluator.Report evaluate(EvalInputs inputs, Templates templates, PrintStream progress) throws IOException {
        return new Evaluator(model, text, progress).evaluate(inputs, templates);
    }

    /** @param progress where to print a line after each batch, or null for none */
    public Embedder embedder(int batch, String label, PrintStream progress) {
        return new Embedder(model, text, batch, label, progress);
    }
}
