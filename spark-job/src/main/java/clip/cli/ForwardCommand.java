package clip.cli;

import clip.io.BadInputException;
import clip.io.Npy;
import clip.io.SafeTensors;
import clip.model.BertModel;
import clip.model.DistilBertModel;
import clip.model.ContrastiveModel;
import clip.model.HfModel;
import clip.model.HfModels;
import clip.model.ModelOutput;
import clip.model.ResNetModel;
import clip.layers.Parameter;
import clip.model.TextBatch;
import clip.model.TowerOutput;
import clip.model.ViTModel;
import clip.loss.BatchGradient;
import clip.loss.ClipLoss;
import clip.loss.LossResult;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code bin/clip forward}: runs any supported HF model on .npy inputs and writes its outputs
 * under the goldens' file names, so a checkpoint can be compared with a Python run file by file.
 */
public final class ForwardCommand implements Command {
    @Override
    public String name() {
        return "forward";
    }

    @Override
    public String summary() {
        return "run an HF model folder (bert, distilbert, vit, resnet, clip, dual encoder) on .npy inputs; write outputs (and gradients)";
    }

    @Override
    public String usage() {
        return String.join("\n",
                "usage: bin/clip forward --model DIR --inputs DIR --out DIR [--grads] [--precision float32|float64]",
                "  --model DIR      HF folder with config.json and model.safetensors (or a timm/torchvision resnet folder)",
                "  --inputs DIR     .npy inputs: input_ids, attention_mask, token_type_ids, pixel_values (as needed)",
                "  --out DIR        where outputs go: last_hidden_state.npy, pooler_output.npy, hidden_states_N.npy,",
                "                   image_embeds.npy, text_embeds.npy, logits_per_image.npy, loss.npy, ...;",
                "                   for a resnet: stem.npy, layer1.npy .. layer4.npy, pooled.npy",
                "  --grads          also write grads.safetensors: d(CLIP loss)/d(parameter) by HF name (image-text models)",
                "  --precision P    compute in float32 (default) or float64");
    }

    @Override
    public int run(Args args, PrintStream out) throws IOException {
        Path modelDir = args.path("model");
        Path inputs = args.path("inputs");
        Path outDir = args.path("out");
        boolean grads = args.flag("grads");
        DataType precision = switch (args.string("precision", "float32")) {
            case "float32" -> DataType.FLOAT;
            case "float64" -> DataType.DOUBLE;
            default -> throw new BadInputException("--precision must be float32 or float64");
        };
        args.rejectUnknown();
        if (!Files.isDirectory(inputs)) {
            throw new BadInputException(inputs + ": no such inputs directory");
        }
        HfModel model = HfModels.load(modelDir, precision);
        Files.createDirectories(outDir);
        Map<String, INDArray> written = new LinkedHashMap<>();
        if (model.module() instanceof ContrastiveModel m) {
            INDArray pixels = input(inputs, "pixel_values", precision);
            TextBatch text = text(inputs, model.modelType().equals("clip"));
            ModelOutput o = m.forward(pixels, text);
            written.put("image_embeds", o.imageEmbeds());
            written.put("text_embeds", o.textEmbeds());
            written.put("image_features", o.imageFeatures());
            written.put("text_features", o.textFeatures());
            written.put("logits_per_image", o.logitsPerImage());
            written.put("logits_per_text", o.logitsPerText());
            tower("vision_", o.vision(), written);
            tower("text_", o.text(), written);
            m.zeroGrad();
            LossResult loss = BatchGradient.accumulate(m, new ClipLoss(), pixels, text);
            written.put("loss", Nd4j.scalar(precision, loss.loss()));
            if (grads) {
                Map<String, INDArray> g = new LinkedHashMap<>();
                for (Map.Entry<String, Parameter> e : m.namedParameters().entrySet()) {
                    g.put(e.getKey(), e.getValue().grad());
                }
                SafeTensors.write(outDir.resolve("grads.safetensors"), g);
                out.println("wrote " + outDir.resolve("grads.safetensors") + " (" + g.size() + " tensors)");
            }
        } else {
            if (grads) {
                throw new BadInputException("--grads needs an image-text model (clip or vision-text-dual-encoder); "
                        + modelDir + " is " + model.modelType());
            }
            if (model.module() instanceof ResNetModel resnet) {
                stages(resnet.forward(input(inputs, "pixel_values", precision)), written);
            } else if (model.module() instanceof DistilBertModel distilbert) {
                TowerOutput o = distilbert.forward(text(inputs, false));
                hiddenStates("", o, written); // no pooler_output: DistilBERT has no pooler
            } else {
                TowerOutput o = model.module() instanceof BertModel bert
                        ? bert.forward(text(inputs, false))
                        : ((ViTModel) model.module()).forward(input(inputs, "pixel_values", precision));
                tower("", o, written);
            }
        }
        for (Map.Entry<String, INDArray> e : written.entrySet()) {
            Npy.write(outDir.resolve(e.getKey() + ".npy"), e.getValue());
        }
        out.println("wrote " + written.size() + " outputs of " + model.modelType() + " to " + outDir);
        return 0;
    }

    private static void tower(String prefix, TowerOutput o, Map<String, INDArray> out) {
        hiddenStates(prefix, o, out);
        out.put(prefix + "pooler_output", o.pooled());
    }

    private static void hiddenStates(String prefix, TowerOutput o, Map<String, INDArray> out) {
        List<INDArray> hidden = o.hiddenStates();
        for (int i = 0; i < hidden.size(); i++) {
            out.put(prefix + "hidden_states_" + i, hidden.get(i));
        }
        out.put(prefix + "last_hidden_state", o.lastHiddenState());
    }

    /** A ResNet's outputs under the goldens' names: the stem, each stage, the pooled feature. */
    private static void stages(TowerOutput o, Map<String, INDArray> out) {
        List<INDArray> hidden = o.hiddenStates();
        out.put("stem", hidden.get(0));
        for (int i = 1; i < hidden.size(); i++) {
            out.put("layer" + i, hidden.get(i));
        }
        out.put("pooled", o.pooled());
    }

    private static TextBatch text(Path dir, boolean clip) {
        INDArray ids = input(dir, "input_ids", null);
        Path mask = dir.resolve("attention_mask.npy");
        Path types = dir.resolve("token_type_ids.npy");
        return new TextBatch(ids, Files.exists(mask) ? Npy.read(mask) : null,
                !clip && Files.exists(types) ? Npy.read(types) : null);
    }

    private static INDArray input(Path dir, String name, DataType as) {
        Path file = dir.resolve(name + ".npy");
        if (!Files.isRegularFile(file)) {
            throw new BadInputException(file + ": missing input (this model needs " + name + ".npy)");
        }
        INDArray a = Npy.read(file);
        return as == null ? a : a.castTo(as);
    }
}
