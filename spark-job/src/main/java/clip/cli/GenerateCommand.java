package clip.cli;

import clip.prep.synth.SyntheticCoco;
import clip.prep.synth.SyntheticFlickr30k;
import clip.io.BadInputException;
import java.io.PrintStream;
import java.nio.file.Path;

/** {@code bin/clip generate}: a synthetic dataset in the layout of MS-COCO 2017 or Flickr30k. */
public final class GenerateCommand implements Command {
    @Override
    public String name() {
        return "generate";
    }

    @Override
    public String summary() {
        return "write a synthetic, learnable image-caption dataset in the MS-COCO 2017 or Flickr30k layout";
    }

    @Override
    public String usage() {
        return String.join("\n",
                "usage: bin/clip generate --out DIR [--layout coco|flickr30k] [--train N] [--val N] [--test N] [--seed S] [--long-side PX]",
                "       [--train-captions N] [--val-captions N]",
                "  --layout      coco (default): train2017/, val2017/, annotations/captions_*2017.json, instances_*2017.json;",
                "                flickr30k: flickr30k_images/ and dataset_flickr30k.json (Karpathy splits)",
                "  --train/--val/--test  images per split (defaults 2000, 500, 500; --test is flickr30k only)",
                "  --train-captions/--val-captions  coco: captions per split (default 5 per image; COCO 2017 has",
                "                591,753 for 118,287 train and 25,014 for 5,000 val images); extras go to the first images",
                "  --seed        same seed, same bytes (default 1)",
                "  --long-side   longer side of the images in pixels (default 160); aspect ratios vary");
    }

    @Override
    public int run(Args args, PrintStream out) throws Exception {
        Path root = args.path("out");
        String layout = args.string("layout", "coco");
        int train = args.integer("train", 2000);
        int val = args.integer("val", 500);
        int test = args.integer("test", 500);
        long trainCaptions = args.integer("train-captions", 5 * train);
        long valCaptions = args.integer("val-captions", 5 * val);
        long seed = args.integer("seed", 1);
        int longSide = args.integer("long-side", 160);
        args.rejectUnknown();
        if (train < 0 || val < 0 || test < 0 || longSide < 16) {
            throw new BadInputException("--train/--val/--test must be >= 0 and --long-side >= 16");
        }
        if (!layout.equals("coco") && (args.has("train-captions") || args.has("val-captions"))) {
            throw new BadInputException("--train-captions/--val-captions are for --layout coco");
        }
        if (trainCaptions < train || valCaptions < val) {
            throw new BadInputException("--train-captions/--val-captions must be at least one per image");
        }
        switch (layout) {
            case "coco" -> new SyntheticCoco(longSide).write(root, train, trainCaptions, val, valCaptions, seed);
            case "flickr30k" -> new SyntheticFlickr30k(longSide).write(root, train, val, test, seed);
            default -> throw new BadInputException("--layout must be coco or flickr30k, not '" + layout + "'");
        }
        out.println("generate: wrote a " + layout + "-layout dataset to " + root);
        return 0;
    }
}
