import clip.layers.StepMemory;
import clip.model.ContrastiveModel;
import clip.model.HfModel;
import clip.model.HfModels;
import clip.model.TextBatch;
import clip.onnx.OnnxExport;
import clip.onnx.OnnxRuntimeRunner;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Batch embedding speed of our own forward pass (ContrastiveModel.encodeImages / encodeTexts in the
 * step workspace, as bin/clip embed's Embedder runs them) against ONNX Runtime on the model
 * bin/clip export --onnx wrote from the same folder, in one JVM, on the same ready inputs (random
 * pixels; random token ids of 8 to 24 tokens per caption, each batch padded to its longest).
 * Threads: OMP_NUM_THREADS for ND4J and OpenBLAS, the same number for ONNX Runtime's intra-op pool.
 * Three rounds, the two sides alternating; prints each side's median rate, their ratio, and the
 * largest difference between the two sides' embeddings.
 *
 * ONNX Runtime runs through the core tests' OnnxRuntimeRunner (the one the parity tests use).
 *
 * <p>Run (bench/onnx_bench.sh does): {@code java -cp <app jar>:<classpath>:<core test jar>:<onnxruntime jar>
 * bench/OnnxEmbedBench.java MODEL_DIR REPOSITORY NAME COUNT BATCH}
 */
public class OnnxEmbedBench {
    public static void main(String[] args) throws Exception {
        Path modelDir = Path.of(args[0]);
        Path repository = Path.of(args[1]);
        String name = args[2];
        int count = Integer.parseInt(args[3]);
        int batch = Integer.parseInt(args[4]);
        int threads = Integer.parseInt(System.getenv().getOrDefault("OMP_NUM_THREADS", "1"));
        HfModel hf = HfModels.load(modelDir, DataType.FLOAT);
        ContrastiveModel model = hf.asContrastive();
        int size = hf.config().path("vision_config").path("image_size").asInt();
        int vocab = hf.config().path("text_config").path("vocab_size").asInt();

        Nd4j.getRandom().setSeed(1);
        List<INDArray> pixels = new ArrayList<>();
        List<TextBatch> texts = new ArrayList<>();
        Random random = new Random(1);
        for (int from = 0; from < count; from += batch) {
            int n = Math.min(batch, count - from);
            pixels.add(Nd4j.rand(DataType.FLOAT, n, 3, size, size));
            texts.add(captions(random, n, vocab));
        }

        try (OnnxRuntimeRunner image = new OnnxRuntimeRunner(repository.resolve(name + "_image/1/model.onnx"), threads);
             OnnxRuntimeRunner text = new OnnxRuntimeRunner(repository.resolve(name + "_text/1/model.onnx"), threads)) {
            List<Side> sides = List.of(
                    new Side("images ours", pixels, p -> model.encodeImages((INDArray) p)),
                    new Side("images onnxruntime", pixels, p -> image.run(Map.of(OnnxExport.PIXELS, (INDArray) p))),
                    new Side("captions ours", texts, t -> model.encodeTexts((TextBatch) t)),
                    new Side("captions onnxruntime", texts, t -> text.run(Map.of(OnnxExport.INPUT_IDS, ((TextBatch) t).inputIds(),
                            OnnxExport.ATTENTION_MASK, ((TextBatch) t).attentionMask()))));
            double[][] rates = new double[sides.size()][3];
            double worst = 0;
            for (int round = -1; round < 3; round++) { // round -1 warms up both sides
                List<List<INDArray>> embeds = new ArrayList<>();
                for (int s = 0; s < sides.size(); s++) {
                    long t0 = System.nanoTime();
                    embeds.add(sides.get(s).embed());
                    if (round >= 0) {
                        rates[s][round] = count / ((System.nanoTime() - t0) / 1e9);
                    }
                }
                worst = Math.max(worst, Math.max(maxDiff(embeds.get(0), embeds.get(1)), maxDiff(embeds.get(2), embeds.get(3))));
            }
            double[] median = Arrays.stream(rates).mapToDouble(OnnxEmbedBench::sortedMiddle).toArray();
            System.out.printf("onnx-bench: %s, %d thread(s), batch %d, %d each: images/s ours %.0f, onnxruntime %.0f (ours/ort %.2fx);"
                            + " captions/s ours %.0f, onnxruntime %.0f (ours/ort %.2fx); max |ours - ort| %.2g%n",
                    modelDir, threads, batch, count, median[0], median[1], median[0] / median[1], median[2], median[3],
                    median[2] / median[3], worst);
            for (int s = 0; s < sides.size(); s++) {
                System.out.printf("onnx-bench:   rounds, %s: %s%n", sides.get(s).what(), Arrays.toString(round(rates[s])));
            }
        }
    }

    interface Forward {
        INDArray embed(Object batch) throws Exception;
    }

    /** One side's pass over every batch: each in the step workspace, as the Embedder runs ours; the embeddings kept. */
    record Side(String what, List<?> batches, Forward forward) {
        List<INDArray> embed() throws Exception {
            List<INDArray> out = new ArrayList<>();
            for (Object b : batches) {
                try (var ws = StepMemory.open()) {
                    INDArray e = forward.embed(b);
                    out.add(StepMemory.outside(e::detach));
                }
            }
            return out;
        }
    }

    /** n captions of 8 to 24 tokens ([CLS]-like 2 first, [SEP]-like 3 last), padded to the batch's longest. */
    private static TextBatch captions(Random random, int n, int vocab) {
        int[] lengths = random.ints(n, 8, 25).toArray();
        int longest = Arrays.stream(lengths).max().orElse(8);
        long[][] ids = new long[n][longest];
        long[][] mask = new long[n][longest];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < lengths[i]; j++) {
                ids[i][j] = j == 0 ? 2 : j == lengths[i] - 1 ? 3 : 5 + random.nextInt(vocab - 5);
                mask[i][j] = 1;
            }
        }
        return new TextBatch(Nd4j.createFromArray(ids), Nd4j.createFromArray(mask), null);
    }

    private static double maxDiff(List<INDArray> a, List<INDArray> b) {
        double worst = 0;
        for (int i = 0; i < a.size(); i++) {
            worst = Math.max(worst, a.get(i).sub(b.get(i)).amaxNumber().doubleValue());
        }
        return worst;
    }

    private static double sortedMiddle(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    private static long[] round(double[] values) {
        return Arrays.stream(values).mapToLong(Math::round).toArray();
    }
}
