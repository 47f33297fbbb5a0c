import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import clip.layers.StepMemory;
import clip.model.ContrastiveModel;
import clip.model.HfModel;
import clip.model.HfModels;
import clip.model.TextBatch;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
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
 * <p>Run (bench/onnx_bench.sh does): {@code java -cp <app jar>:<classpath>:<onnxruntime jar>
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

        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(threads);
        options.setInterOpNumThreads(1);
        try (OrtSession image = env.createSession(repository.resolve(name + "_image/1/model.onnx").toString(), options);
             OrtSession text = env.createSession(repository.resolve(name + "_text/1/model.onnx").toString(), options)) {
            double[][] rates = new double[4][3];
            double worst = 0;
            for (int round = -1; round < 3; round++) { // round -1 warms up both sides
                long t0 = System.nanoTime();
                List<INDArray> oursImages = new ArrayList<>();
                for (INDArray p : pixels) {
                    try (var ws = StepMemory.open()) {
                        INDArray e = model.encodeImages(p);
                        oursImages.add(StepMemory.outside(e::detach));
                    }
                }
                long t1 = System.nanoTime();
                List<INDArray> ortImages = new ArrayList<>();
                for (INDArray p : pixels) {
                    ortImages.add(run(env, image, Map.of("pixel_values", p)));
                }
                long t2 = System.nanoTime();
                List<INDArray> oursTexts = new ArrayList<>();
                for (TextBatch t : texts) {
                    try (var ws = StepMemory.open()) {
                        INDArray e = model.encodeTexts(t);
                        oursTexts.add(StepMemory.outside(e::detach));
                    }
                }
                long t3 = System.nanoTime();
                List<INDArray> ortTexts = new ArrayList<>();
                for (TextBatch t : texts) {
                    ortTexts.add(run(env, text, Map.of("input_ids", t.inputIds(), "attention_mask", t.attentionMask())));
                }
                long t4 = System.nanoTime();
                if (round < 0) {
                    worst = Math.max(maxDiff(oursImages, ortImages), maxDiff(oursTexts, ortTexts));
                    continue;
                }
                rates[0][round] = count / ((t1 - t0) / 1e9);
                rates[1][round] = count / ((t2 - t1) / 1e9);
                rates[2][round] = count / ((t3 - t2) / 1e9);
                rates[3][round] = count / ((t4 - t3) / 1e9);
            }
            double[] median = Arrays.stream(rates).mapToDouble(OnnxEmbedBench::sortedMiddle).toArray();
            System.out.printf("onnx-bench: %s, %d thread(s), batch %d, %d each: images/s ours %.0f, onnxruntime %.0f (ours/ort %.2fx);"
                            + " captions/s ours %.0f, onnxruntime %.0f (ours/ort %.2fx); max |ours - ort| %.2g%n",
                    modelDir, threads, batch, count, median[0], median[1], median[0] / median[1], median[2], median[3],
                    median[2] / median[3], worst);
            System.out.printf("onnx-bench: rounds images ours %s ort %s; captions ours %s ort %s%n", Arrays.toString(round(rates[0])),
                    Arrays.toString(round(rates[1])), Arrays.toString(round(rates[2])), Arrays.toString(round(rates[3])));
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

    private static INDArray run(OrtEnvironment env, OrtSession session, Map<String, INDArray> inputs) throws Exception {
        Map<String, OnnxTensor> tensors = new java.util.LinkedHashMap<>();
        for (Map.Entry<String, INDArray> e : inputs.entrySet()) {
            INDArray a = e.getValue();
            tensors.put(e.getKey(), a.dataType() == DataType.FLOAT
                    ? OnnxTensor.createTensor(env, FloatBuffer.wrap(a.data().asFloat()), a.shape())
                    : OnnxTensor.createTensor(env, LongBuffer.wrap(a.data().asLong()), a.shape()));
        }
        try (OrtSession.Result r = session.run(tensors)) {
            OnnxTensor out = (OnnxTensor) r.get(0);
            FloatBuffer values = out.getFloatBuffer();
            float[] data = new float[values.remaining()];
            values.get(data);
            return Nd4j.createFromArray(data).reshape(out.getInfo().getShape());
        } finally {
            tensors.values().forEach(OnnxTensor::close);
        }
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
