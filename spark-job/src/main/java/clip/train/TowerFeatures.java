package clip.train;

import clip.data.TextEncoder;
import clip.io.SafeTensors;
import clip.model.ContrastiveModel;
import clip.model.StateDict;
import clip.layers.Module;
import clip.layers.StepMemory;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The frozen towers' pooled outputs for every image and every caption a worker holds, for
 * projection-only training: the towers run once, then every step runs only the heads.
 *
 * <p>The features are cached in a folder named by a digest of everything they depend on (the
 * towers' weights, the tokenizer, the preprocessing and the worker's rows), one file per worker;
 * a rerun or a restarted job with the same inputs reads them instead of running the towers
 * again, and any change in the inputs leads to another folder. Images are taken whole as
 * evaluation sees them (no random crops: a cached feature is one view of its image).
 */
final class TowerFeatures {
    private static final int IMAGE_BATCH = 64;
    private static final int CAPTION_BATCH = 256;
    private static final long PROGRESS_NANOS = 10_000_000_000L;
    private final INDArray images;
    private final INDArray captions;
    private final int[] firstCaption;

    private TowerFeatures(INDArray images, INDArray captions, int[] firstCaption) {
        this.images = images;
        this.captions = captions;
        this.firstCaption = firstCaption;
    }

    /**
     * The worker's features from the cache under {@code cacheRoot}, or computed and cached.
     *
     * @param textSetup what else decides how captions become tokens (the vocabulary's bytes, the length)
     * @param log       where progress goes (rank 0's log), or null
     */
    static TowerFeatures loadOrCompute(ContrastiveModel model, CaptionedImages data, TextEncoder text, byte[] textSetup,
                                       URI cacheRoot, int rank, int workers, Configuration conf, PrintStream log) throws IOException {
        Path file = new Path(new Path(cacheRoot), digest(model, data, textSetup) + "/"
                + String.format("rank-%05d-of-%05d.safetensors", rank, workers));
        FileSystem fs = file.getFileSystem(conf);
        if (fs.exists(file)) {
            try (InputStream in = fs.open(file)) {
                Map<String, INDArray> t = SafeTensors.read(in, file.toString());
                if (log != null) {
                    log.printf("tower features: read from %s%n", shown(file.getParent()));
                }
                return new TowerFeatures(t.get("images"), t.get("captions"), t.get("first_caption").toIntVector());
            }
        }
        TowerFeatures computed = compute(model, data, text, log);
        Path tmp = file.suffix(".tmp");
        try (OutputStream out = fs.create(tmp, true)) {
            SafeTensors.write(out, computed.tensors());
        }
        fs.delete(file, false);
        if (!fs.rename(tmp, file)) {
            throw new IOException("could not rename " + tmp + " to " + file);
        }
        if (log != null) {
            log.printf("tower features: cached in %s%n", shown(file.getParent()));
        }
        return computed;
    }

    static TowerFeatures compute(ContrastiveModel model, CaptionedImages data, TextEncoder text, PrintStream log) {
        long started = System.nanoTime();
        int[] firstCaption = new int[data.size() + 1];
        List<String> all = new ArrayList<>();
        for (int row = 0; row < data.size(); row++) {
            firstCaption[row] = all.size();
            all.addAll(data.captions(row));
        }
        firstCaption[data.size()] = all.size();
        Progress progress = new Progress(log, started);
        INDArray images = pooled(data.size(), IMAGE_BATCH, (from) -> {
            int[] rows = new int[Math.min(IMAGE_BATCH, data.size() - from)];
            for (int i = 0; i < rows.length; i++) {
                rows[i] = from + i;
            }
            return model.vision().forward(data.images(rows)).pooled();
        }, progress, "images");
        INDArray captions = pooled(all.size(), CAPTION_BATCH, from -> model.text()
                .forward(text.encodeToLongest(all.subList(from, Math.min(all.size(), from + CAPTION_BATCH)))).pooled(),
                progress, "captions");
        return new TowerFeatures(images, captions, firstCaption);
    }

    /** Pooled outputs [count, H] of a tower run {@code batch} items at a time. */
    private static INDArray pooled(int count, int batch, IntFunction<INDArray> forward, Progress progress, String what) {
        INDArray out = null;
        for (int from = 0; from < count; from += batch) {
            try (var ws = StepMemory.openForwardOnly()) {
                INDArray part = forward.apply(from);
                if (out == null) {
                    out = StepMemory.outside(() -> Nd4j.create(DataType.FLOAT, count, part.size(1)));
                }
                out.get(NDArrayIndex.interval(from, from + part.size(0)), NDArrayIndex.all()).assign(part);
            }
            progress.report(Math.min(count, from + batch), count, what);
        }
        return out == null ? Nd4j.create(DataType.FLOAT, 0, 0) : out;
    }

    /** A local folder as a plain path, anything else as its URI. */
    private static String shown(Path p) {
        return "file".equals(p.toUri().getScheme()) ? p.toUri().getPath() : p.toString();
    }

    /** Pooled image features of the given rows [n, Hv]. */
    INDArray images(int[] rows) {
        return images.getRows(rows);
    }

    /** Pooled features [n, Ht] of caption {@code captions[i]} of row {@code rows[i]}. */
    INDArray captions(int[] rows, int[] captions) {
        int[] which = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            which[i] = firstCaption[rows[i]] + captions[i];
        }
        return this.captions.getRows(which);
    }

    private Map<String, INDArray> tensors() {
        Map<String, INDArray> t = new LinkedHashMap<>();
        t.put("images", images);
        t.put("captions", captions);
        t.put("first_caption", Nd4j.createFromArray(firstCaption));
        return t;
    }

    /** A hex digest of the towers' weights (BatchNorm's running statistics included), the text setup and the worker's rows. */
    private static String digest(ContrastiveModel model, CaptionedImages data, byte[] textSetup) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        for (Module tower : List.of((Module) model.vision(), (Module) model.text())) {
            for (Map.Entry<String, INDArray> p : StateDict.export(tower, "").entrySet()) {
                md.update(p.getKey().getBytes(StandardCharsets.UTF_8));
                float[] values = p.getValue().castTo(DataType.FLOAT).data().asFloat();
                ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                bytes.asFloatBuffer().put(values);
                md.update(bytes.array());
            }
        }
        md.update(textSetup);
        data.digest(md);
        return HexFormat.of().formatHex(md.digest(), 0, 12);
    }

    /** Progress lines at most every ten seconds, and at the end of each kind. */
    private static final class Progress {
        private final PrintStream log;
        private final long started;
        private long last;

        Progress(PrintStream log, long started) {
            this.log = log;
            this.started = started;
            this.last = started;
        }

        void report(int done, int total, String what) {
            long now = System.nanoTime();
            if (log != null && (done == total || now - last > PROGRESS_NANOS)) {
                log.printf("tower features: %,d/%,d %s (%.0f s)%n", done, total, what, (now - started) / 1e9);
                last = now;
            }
        }
    }
}
