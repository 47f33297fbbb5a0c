package clip.cli;

import clip.io.BadInputException;
import clip.io.LocalFiles;
import clip.onnx.OnnxExport;
import clip.train.CheckpointExport;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code bin/clip export}: a training checkpoint as an HF model folder, or (with {@code --onnx})
 * an HF folder or a training checkpoint as ONNX models in a Triton model repository.
 */
public final class ExportCommand implements Command {
    @Override
    public String name() {
        return "export";
    }

    @Override
    public String summary() {
        return "write a training checkpoint as an HF VisionTextDualEncoderModel folder, or a model as ONNX for serving";
    }

    @Override
    public String usage() {
        return String.join("\n",
                "usage: bin/clip export --run DIR --out DIR [--step N]",
                "       bin/clip export --onnx (--model DIR | --run DIR [--step N]) --out DIR [--name NAME] [--max-batch N]",
                "  --run DIR        a training run's output folder, wherever it now is (its config.conf rebuilds the model;",
                "                   its own checkpoints are read)",
                "  --out DIR        where the HF folder goes (config.json, model.safetensors, vocab.txt, tokenizer and",
                "                   image processor configs), loadable by bin/clip eval and by transformers; with --onnx,",
                "                   the Triton model repository (created if absent; other models in it are left alone)",
                "  --step N         the checkpoint to export (default: the newest committed one that verifies)",
                "  --onnx           write each tower with its projection head and L2 normalisation as an ONNX model",
                "                   (opset 17, dynamic batch and sequence length): OUT/NAME_image/1/model.onnx (input",
                "                   pixel_values, output image_embeds) and OUT/NAME_text/1/model.onnx (input_ids and",
                "                   attention_mask, int64; output text_embeds), each with its Triton config.pbtxt",
                "  --model DIR      with --onnx: an HF CLIPModel or VisionTextDualEncoderModel folder (ViT, CLIP vision or",
                "                   ResNet image tower; BERT, CLIP text or DistilBERT text tower)",
                "  --name NAME      with --onnx: the models' name prefix in the repository (default clip)",
                "  --max-batch N    with --onnx: Triton's max_batch_size (default 64)");
    }

    @Override
    public int run(Args args, PrintStream out) throws IOException {
        // has(), not flag(): a Cli that registers export without the flag still runs the HF export
        if (!args.has("onnx")) {
            Path run = args.path("run");
            Path dir = args.path("out");
            long step = args.integer("step", -1);
            args.rejectUnknown();
            CheckpointExport.export(run, step, dir, out);
            return 0;
        }
        boolean fromRun = args.has("run");
        if (fromRun == args.has("model")) {
            throw new BadInputException("export --onnx needs exactly one of --model DIR (an HF folder) and --run DIR");
        }
        Path source = args.path(fromRun ? "run" : "model");
        if (!fromRun && args.has("step")) {
            throw new BadInputException("--step picks a checkpoint of --run; an HF folder (--model) has one set of weights");
        }
        long step = args.integer("step", -1);
        Path repository = args.path("out");
        String name = args.string("name", "clip");
        int maxBatch = args.integer("max-batch", 64);
        args.rejectUnknown();
        if (!name.matches("[A-Za-z0-9_.-]+")) {
            throw new BadInputException("--name '" + name + "': use letters, digits, '_', '-' and '.' (Triton model names)");
        }
        if (maxBatch < 1) {
            throw new BadInputException("--max-batch must be at least 1, got " + maxBatch);
        }
        if (!fromRun) {
            report(OnnxExport.export(source, repository, name, maxBatch), out);
            return 0;
        }
        // A run's checkpoint goes through a temporary HF folder (the same weights export writes without --onnx).
        Path hf = Files.createTempDirectory("clip-export-hf-");
        try {
            CheckpointExport.export(source, step, hf, out);
            report(OnnxExport.export(hf, repository, name, maxBatch), out);
        } finally {
            LocalFiles.deleteTree(hf);
        }
        return 0;
    }

    private static void report(OnnxExport.Repository repo, PrintStream out) {
        out.printf("wrote %s and %s (ONNX opset 17, Triton config.pbtxt each)%n", repo.imageOnnx(), repo.textOnnx());
    }
}
