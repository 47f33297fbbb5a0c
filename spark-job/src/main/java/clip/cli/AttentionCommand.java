package clip.cli;

import clip.data.ImagePreprocessor;
import clip.eval.AttentionRollout;
import clip.data.ModelImagePreprocessing;
import clip.plot.AttentionOverlay;
import clip.io.BadInputException;
import clip.model.ContrastiveModel;
import clip.model.HfModel;
import clip.model.HfModels;
import clip.model.TransformerTower;
import clip.model.TowerConfig;
import clip.model.ViTModel;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** {@code bin/clip attention}: where a model's vision tower looks in an image, as an attention-rollout heat map. */
public final class AttentionCommand implements Command {
    @Override
    public String name() {
        return "attention";
    }

    @Override
    public String summary() {
        return "draw a ViT attention-rollout heat map over an image (clip, dual encoder or vit model folder)";
    }

    @Override
    public String usage() {
        return String.join("\n",
                "usage: bin/clip attention --model DIR --image FILE --out FILE.png [--alpha A]",
                "  --model DIR    HF folder (config.json + model.safetensors) of a clip, vision-text-dual-encoder or vit model;",
                "                 its preprocessor_config.json, when present, gives the normalisation",
                "  --image FILE   the image (PNG, JPEG, BMP or GIF); it is resized to the model's square input",
                "  --out FILE     the picture (PNG): a title, the image, and beside it the [CLS] token's attention rollout",
                "                 as a heat map over a greyscale copy, both scaled to 384 pixels, with a colour bar",
                "  --alpha A      opacity of the heat map over the greyscale copy, 0..1 (default 0.5)");
    }

    @Override
    public int run(Args args, PrintStream out) throws IOException {
        Path modelDir = args.path("model");
        Path imageFile = args.path("image");
        Path outFile = args.path("out");
        double alpha = alpha(args.string("alpha", "0.5"));
        args.rejectUnknown();
        BufferedImage image = readImage(imageFile);
        HfModel model = HfModels.load(modelDir, DataType.FLOAT);
        TransformerTower<INDArray> vision = visionTower(model, modelDir);
        TowerConfig config = vision.config();
        ImagePreprocessor pre = ModelImagePreprocessing.of(modelDir, config.modelType(), config.imageSize());
        int size = pre.size();
        float[] chw = new float[3 * size * size];
        pre.toChw(image, chw, 0);
        INDArray pixels = Nd4j.create(chw, new long[] {1, 3, size, size}, DataType.FLOAT);
        int grid = config.patchesPerSide();
        INDArray map = AttentionRollout.ofImage(vision, pixels, grid, grid);
        String what = "attention rollout of " + modelDir.getFileName() + " (" + vision.layers().size() + " layers, " + grid + "x"
                + grid + " patches) on " + imageFile.getFileName();
        new AttentionOverlay(alpha).write(what, image, map.toDoubleMatrix(), outFile);
        out.println("wrote " + outFile + " (" + what + ")");
        return 0;
    }

    private static double alpha(String text) {
        try {
            double a = Double.parseDouble(text.trim());
            if (a >= 0 && a <= 1) {
                return a;
            }
        } catch (NumberFormatException e) {
            // reported below with the other out-of-range values
        }
        throw new BadInputException("option --alpha expects a number in [0, 1], got '" + text + "'");
    }

    private static BufferedImage readImage(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new BadInputException(file + ": no such image file");
        }
        BufferedImage image;
        try {
            image = ImageIO.read(file.toFile());
        } catch (IOException e) {
            throw new BadInputException(file + ": unreadable image (" + e.getMessage() + ")");
        }
        if (image == null) {
            throw new BadInputException(file + ": not an image this program reads (PNG, JPEG, BMP, GIF)");
        }
        return image;
    }

    private static TransformerTower<INDArray> visionTower(HfModel model, Path dir) {
        if (model.module() instanceof ContrastiveModel m) {
            if (m.vision() instanceof TransformerTower<INDArray> t) {
                return t;
            }
            // A ResNet has no attention to roll out.
            throw new BadInputException(dir + ": its vision tower is " + m.vision().getClass().getSimpleName()
                    + ", and attention maps need a transformer one (ViT or CLIP's)");
        }
        if (model.module() instanceof ViTModel v) {
            return v;
        }
        throw new BadInputException(dir + ": model_type '" + model.modelType() + "' has no vision tower (need clip, "
                + "vision-text-dual-encoder or vit)");
    }
}
