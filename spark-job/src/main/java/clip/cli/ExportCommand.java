package clip.cli;

import clip.train.CheckpointExport;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;

/** {@code bin/clip export}: a training checkpoint as an HF model folder. */
public final class ExportCommand implements Command {
    @Override
    public String name() {
        return "export";
    }

    @Override
    public String summary() {
        return "write a training checkpoint as an HF VisionTextDualEncoderModel folder";
    }

    @Override
    public String usage() {
        return String.join("\n",
                "usage: bin/clip export --run DIR --out DIR [--step N]",
                "  --run DIR    a training run's output folder, wherever it now is (its config.conf rebuilds the model;",
                "               its own checkpoints are read)",
                "  --out DIR    where the HF folder goes (config.json, model.safetensors, vocab.txt, tokenizer and",
                "               image processor configs), loadable by bin/clip eval and by transformers",
                "  --step N     the checkpoint to export (default: the newest committed one that verifies)");
    }

    @Override
    public int run(Args args, PrintStream out) throws IOException {
        Path run = args.path("run");
        Path dir = args.path("out");
        long step = args.integer("step", -1);
        args.rejectUnknown();
        CheckpointExport.export(run, step, dir, out);
        return 0;
    }
}
