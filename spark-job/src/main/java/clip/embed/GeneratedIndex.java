package clip.embed;

import clip.prep.DigestingOutputFile;
import clip.prep.ShardSchema;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * An image-side embedding index of generated unit vectors, in the files and manifest bin/clip
 * embed writes, for measuring search at sizes no generated image set reaches here (the
 * approximate index's tests and {@code bin/clip bench-ann}). Its manifest names no real model.
 */
public final class GeneratedIndex {
    private GeneratedIndex() {
    }

    /**
     * Unit vectors around {@code clusters} random unit centres: a centre plus Gaussian noise of
     * norm about {@code spread}, normalised (with one cluster and a large spread, uniform on the
     * sphere). Row {@code i} depends only on the seed and {@code i}, so a part, a query or the
     * whole set can be regenerated alone.
     */
    public record Vectors(long seed, int dim, int clusters, double spread) {
        public float[] row(long i) {
            SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + i);
            float[] centre = centre(rng.nextInt(clusters));
            double noise = spread / Math.sqrt(dim);
            float[] v = new float[dim];
            for (int j = 0; j < dim; j++) {
                v[j] = (float) (centre[j] + noise * rng.nextGaussian());
            }
            return normalised(v);
        }

        /** A query drawn as the rows are, but never one of them. */
        public float[] query(int q) {
            return row(-1L - q);
        }

        private float[] centre(int c) {
            SplittableRandom rng = new SplittableRandom(~seed * 31 + c);
            float[] v = new float[dim];
            for (int j = 0; j < dim; j++) {
                v[j] = (float) rng.nextGaussian();
            }
            return normalised(v);
        }

        private static float[] normalised(float[] v) {
            double norm = 0;
            for (float x : v) {
                norm += x * x;
            }
            float inv = (float) (1 / Math.sqrt(norm));
            for (int j = 0; j < v.length; j++) {
                v[j] *= inv;
            }
            return v;
        }
    }

    /** Writes rows {@code [0, rows)} of {@code vectors} as image embeddings (image id = row) into {@code dir}, {@code rowsPerPart} a part. */
    public static void write(Path dir, Vectors vectors, long rows, int rowsPerPart, Configuration conf) throws IOException {
        FileSystem fs = dir.getFileSystem(conf);
        ObjectMapper json = new ObjectMapper();
        ObjectNode manifest = json.createObjectNode();
        manifest.put("index_version", EmbeddingFiles.VERSION);
        manifest.putObject("model").put("path", "generated").put("fingerprint", "none");
        manifest.putObject("data").put("path", "generated").put("split", "generated");
        manifest.putArray("sides").add(Side.IMAGES.key());
        manifest.put("embedding_dim", vectors.dim()).put("max_text_length", 2).put("rows_per_part", rowsPerPart);
        manifest.putObject("counts").put(Side.IMAGES.key(), rows).put(Side.TEXTS.key(), 0);
        ArrayNode parts = manifest.putArray("parts");
        for (long first = 0; first < rows; first += rowsPerPart) {
            int n = (int) Math.min(rowsPerPart, rows - first);
            IndexPart part = new IndexPart(parts.size(), "generated", "", first, n, 0);
            List<ShardSchema.Row> rowsOfPart = new ArrayList<>();
            float[] flat = new float[n * vectors.dim()];
            for (int i = 0; i < n; i++) {
                rowsOfPart.add(new ShardSchema.Row(first + i, "row-" + (first + i), "generated", 0, 0, null, List.of(), List.of()));
                System.arraycopy(vectors.row(first + i), 0, flat, i * vectors.dim(), vectors.dim());
            }
            DigestingOutputFile file = new DigestingOutputFile(fs, new Path(dir, part.file(Side.IMAGES)));
            EmbeddingFiles.write(file, conf, Side.IMAGES, rowsOfPart, flat, vectors.dim());
            ObjectNode entry = parts.addObject().put("name", part.name()).put("first_row", first).put("rows", n);
            entry.putObject("files").putObject(Side.IMAGES.key()).put("path", part.file(Side.IMAGES)).put("rows", n)
                    .put("bytes", file.length()).put("sha256", file.sha256());
        }
        try (OutputStream out = fs.create(new Path(dir, "manifest.json"), true)) {
            json.writerWithDefaultPrettyPrinter().writeValue(out, manifest);
        }
    }
}
