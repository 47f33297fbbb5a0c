package clip.bench;

import clip.model.ContrastiveModel;
import clip.model.HfModels;
import clip.layers.Blas;
import clip.layers.Init;
import clip.model.TextBatch;
import clip.optim.AdamW;
import clip.loss.BatchGradient;
import clip.loss.ClipLoss;
import clip.loss.Pairs;
import clip.loss.SplitBatchGradient;
import clip.layers.VectorMath;
import clip.optim.ModelOptimizer;
import clip.optim.ParameterGroups;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One training step (forward, CLIP loss, backward, AdamW) of the ViT + BERT dual encoder at the
 * sizes of bench/torch_dual_step.py, timed the same way: the median over the steps after some
 * untimed warm-up steps.
 */
public final class DualEncoderBench {
    /** The reference script's configurations. */
    public record Size(String name, int image, int patch, int hidden, int layers, int heads, int seq, int proj, int batch) {
        public static Size of(String name) {
            return switch (name) {
                case "tiny" -> new Size(name, 64, 8, 192, 4, 3, 32, 128, 32);
                case "base" -> new Size(name, 224, 16, 768, 12, 12, 32, 128, 8);
                default -> throw new clip.io.BadInputException("--config must be tiny or base, got '" + name + "'");
            };
        }

        /** The same sizes at another batch (the reference script's third argument). */
        public Size withBatch(int newBatch) {
            if (newBatch < 1) {
                throw new clip.io.BadInputException("--batch must be at least 1, got " + newBatch);
            }
            return new Size(name, image, patch, hidden, layers, heads, seq, proj, newBatch);
        }

        /** Multiply-add FLOPs of one forward pass's matrix products (both towers, projections, similarity). */
        public double forwardMatmulFlops() {
            int tokensImage = (image / patch) * (image / patch) + 1;
            double perLayer = 12.0 * hidden * hidden; // q, k, v, o (4 d^2) + MLP (8 d^2), per token
            double linear = 2 * perLayer * layers * ((double) batch * tokensImage + (double) batch * seq);
            double attention = 4.0 * layers * batch * hidden * ((double) tokensImage * tokensImage + (double) seq * seq);
            double patches = 2.0 * batch * (tokensImage - 1) * 3 * patch * patch * hidden;
            double heads = 2.0 * batch * (2.0 * hidden * hidden + 2.0 * hidden * proj);
            return linear + attention + patches + heads;
        }
    }

    private final Size size;
    private final ContrastiveModel model;
    private final ModelOptimizer optimizer;
    private final INDArray pixels;
    private final TextBatch text;
    private final SplitBatchGradient parts;

    /**
     * @param parts the batch is cut into this many parts, one per core (1: the whole batch on the
     *              caller's thread; 0: {@link SplitBatchGradient#partsFor} this machine)
     */
    public DualEncoderBench(Size size, long seed, int parts) {
        this.size = size;
        ObjectNode config = config(size);
        this.model = HfModels.build(config, "bench", new Init(seed, DataType.FLOAT, 0.02), null).asContrastive();
        VectorMath.compileTrainingKernels(model.activationKinds());
        if (parts == 0) {
            parts = SplitBatchGradient.partsFor(Runtime.getRuntime().availableProcessors(), size.batch(), model.parameterCount());
        }
        if (parts < 1 || size.batch() % parts != 0) {
            throw new clip.io.BadInputException("--parts must divide the batch " + size.batch() + ", got " + parts);
        }
        List<ContrastiveModel> twins = new ArrayList<>();
        for (int p = 1; p < parts; p++) {
            // a twin reads the model's weights (SplitBatchGradient)
            twins.add(HfModels.build(config, "bench", Init.forLoading(DataType.FLOAT), null).asContrastive());
        }
        this.parts = parts == 1 ? null : new SplitBatchGradient(model, twins);
        this.optimizer = new ModelOptimizer(model.namedParameters(), ParameterGroups.uniform(1e-4, 0.2),
                new AdamW(0.9, 0.98, 1e-6));
        Init data = new Init(seed + 1, DataType.FLOAT, 1.0);
        this.pixels = data.normal(size.batch(), 3, size.image(), size.image()).value();
        SplittableRandom r = new SplittableRandom(seed + 2);
        long[] ids = new long[size.batch() * size.seq()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = r.nextInt(1000, 30522);
        }
        this.text = new TextBatch(Nd4j.createFromArray(ids).reshape(size.batch(), size.seq()),
                Nd4j.ones(DataType.LONG, size.batch(), size.seq()), null);
    }

    private static ObjectNode config(Size size) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = json.createObjectNode().put("model_type", "vision-text-dual-encoder")
                .put("projection_dim", size.proj()).put("logit_scale_init_value", Math.log(1 / 0.07));
        config.putObject("vision_config").put("model_type", "vit").put("image_size", size.image())
                .put("patch_size", size.patch()).put("hidden_size", size.hidden()).put("num_hidden_layers", size.layers())
                .put("num_attention_heads", size.heads()).put("intermediate_size", 4 * size.hidden());
        config.putObject("text_config").put("model_type", "bert").put("vocab_size", 30522)
                .put("hidden_size", size.hidden()).put("num_hidden_layers", size.layers())
                .put("num_attention_heads", size.heads()).put("intermediate_size", 4 * size.hidden());
        return config;
    }

    public int parts() {
        return parts == null ? 1 : parts.parts();
    }

    public long parameterCount() {
        return model.parameterCount();
    }

    /** Seconds per step of {@code steps} steps, after {@code warmup} untimed ones. */
    public List<Double> run(int warmup, int steps) {
        List<Double> times = new ArrayList<>();
        ClipLoss loss = new ClipLoss();
        for (int i = 0; i < warmup + steps; i++) {
            BenchStepEvent event = new BenchStepEvent();
            event.begin();
            long t0 = System.nanoTime();
            try (var ws = clip.layers.StepMemory.open()) {
                model.zeroGrad();
                if (parts == null) {
                    BatchGradient.accumulate(model, loss, pixels, text);
                } else {
                    parts.accumulate(loss, Pairs.of(pixels, text));
                }
                optimizer.step(1.0);
            }
            if (i >= warmup) {
                times.add((System.nanoTime() - t0) / 1e9);
            }
            event.step = i;
            event.timed = i >= warmup;
            event.commit();
        }
        return times;
    }

    /**
     * Sustained single-precision rate of the layers' products ({@link Blas}: oneDNN unless
     * {@code -Dclip.sgemm=openblas}) on every core, at one of the step's shapes: the image tower's
     * MLP input product over the whole batch, x W^T, into a result made once.
     */
    public double gemmGflops() {
        int rows = size.batch() * ((size.image() / size.patch()) * (size.image() / size.patch()) + 1);
        INDArray a = Nd4j.rand(DataType.FLOAT, rows, size.hidden());
        INDArray b = Nd4j.rand(DataType.FLOAT, 4 * size.hidden(), size.hidden());
        INDArray c = Nd4j.create(DataType.FLOAT, rows, 4 * size.hidden());
        // oneDNN's first calls on two threads ran at a third of its rate: warm up, then the best of five rounds
        for (int i = 0; i < 20; i++) {
            Blas.gemm(a, false, b, true, 1.0, 0.0, c);
        }
        int reps = 10;
        double seconds = Double.MAX_VALUE;
        for (int round = 0; round < 5; round++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < reps; i++) {
                Blas.gemm(a, false, b, true, 1.0, 0.0, c);
            }
            seconds = Math.min(seconds, (System.nanoTime() - t0) / 1e9);
        }
        return reps * 2.0 * rows * size.hidden() * 4.0 * size.hidden() / seconds / 1e9;
    }
}
