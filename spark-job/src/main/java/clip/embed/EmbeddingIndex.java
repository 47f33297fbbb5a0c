package clip.embed;

import clip.io.BadInputException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * An index written by {@code bin/clip embed}, opened for search: its manifest says which model
 * made it and where each side's parts are; a query is scored against one part at a time (one
 * matrix product each), so the whole index never has to fit in memory.
 */
public final class EmbeddingIndex {
    private final Path root;
    private final JsonNode manifest;
    private final String manifestSha256;
    private final Configuration conf;

    /** One result: the image, and for a caption result the caption and its place among the image's captions (else -1 and null). */
    public record Hit(int rank, float score, long imageId, String file, int captionIndex, String caption) {
    }

    private EmbeddingIndex(Path root, byte[] manifest, Configuration conf) throws IOException {
        this.root = root;
        this.manifest = new ObjectMapper().readTree(manifest);
        this.manifestSha256 = Sha256.hex(manifest);
        this.conf = conf;
    }

    public static EmbeddingIndex open(String location, Configuration conf) throws IOException {
        Path root = new Path(location);
        Path file = new Path(root, "manifest.json");
        FileSystem fs = root.getFileSystem(conf);
        if (!fs.exists(file)) {
            throw new BadInputException(location + ": no manifest.json (not the output of bin/clip embed, or an unfinished run)");
        }
        try (InputStream in = fs.open(file)) {
            return new EmbeddingIndex(root, in.readAllBytes(), conf);
        }
    }

    /** Refuses a model other than the one the index was embedded with: its query embeddings would mean nothing here. */
    public void checkModel(ModelFolder model) {
        String why = model.differenceFrom(manifest.path("model"));
        if (why != null) {
            throw new BadInputException(model.location() + " is not the model " + root + " was embedded with ("
                    + manifest.at("/model/path").asText() + "): " + why);
        }
    }

    public boolean has(Side side) {
        for (JsonNode s : manifest.path("sides")) {
            if (s.asText().equals(side.key())) {
                return true;
            }
        }
        return false;
    }

    public long count(Side side) {
        return manifest.path("counts").path(side.key()).asLong();
    }

    public Path root() {
        return root;
    }

    public Configuration conf() {
        return conf;
    }

    /** Of manifest.json's bytes: an approximate index records it, so one built from another embedding run is refused. */
    public String manifestSha256() {
        return manifestSha256;
    }

    public int dim() {
        return manifest.path("embedding_dim").asInt();
    }

    public int maxTextLength() {
        return manifest.path("max_text_length").asInt();
    }

    public String split() {
        return manifest.at("/data/split").asText();
    }

    /**
     * The {@code k} rows of {@code side} with the highest dot product with {@code query} (both
     * L2-normalised, so the cosine similarity), best first; equal scores keep index order.
     *
     * @param query [1, D]
     */
    public List<Hit> nearest(INDArray query, Side side, int k) throws IOException {
        // A min-heap of the best k so far: worst score first, and among equals the later row first.
        PriorityQueue<Candidate> best = new PriorityQueue<>(
                Comparator.comparingDouble(Candidate::score).thenComparing(Comparator.comparingLong(Candidate::order).reversed()));
        long order = 0;
        INDArray q = query.castTo(DataType.FLOAT).reshape(1, query.length());
        for (Path file : partFiles(side)) {
            EmbeddingFiles.Rows rows = EmbeddingFiles.read(file, conf, side);
            if (rows.size() == 0) {
                continue;
            }
            if (rows.dim() != q.length()) {
                throw new BadInputException(file + ": embeddings of " + rows.dim() + " values, the query has " + q.length());
            }
            INDArray keys = Nd4j.create(rows.vectors(), new long[] {rows.size(), rows.dim()}, DataType.FLOAT);
            float[] scores = new float[rows.size()];
            Nd4j.gemm(q, keys, false, true).data().asNioFloat().get(scores);
            for (int i = 0; i < scores.length; i++, order++) {
                if (best.size() < k || scores[i] > best.peek().score()) {
                    best.add(new Candidate(scores[i], order, hit(rows, i, side, scores[i])));
                    if (best.size() > k) {
                        best.poll();
                    }
                }
            }
        }
        List<Candidate> sorted = new ArrayList<>(best);
        sorted.sort(Comparator.comparingDouble(Candidate::score).reversed().thenComparingLong(Candidate::order));
        List<Hit> hits = new ArrayList<>();
        for (Candidate c : sorted) {
            Hit h = c.hit();
            hits.add(new Hit(hits.size() + 1, h.score(), h.imageId(), h.file(), h.captionIndex(), h.caption()));
        }
        return hits;
    }

    /** The files of {@code side}, part by part in index order: the order that breaks ties between equal scores. */
    List<Path> partFiles(Side side) {
        List<Path> files = new ArrayList<>();
        for (JsonNode part : manifest.path("parts")) {
            files.add(new Path(root, part.path("files").path(side.key()).path("path").asText()));
        }
        return files;
    }

    /** Rows of {@code side} in part {@code i} (in {@link #partFiles} order), as the manifest records them. */
    long partRows(Side side, int i) {
        return manifest.path("parts").get(i).path("files").path(side.key()).path("rows").asLong();
    }

    static Hit hit(EmbeddingFiles.Rows rows, int i, Side side, float score) {
        return side == Side.IMAGES ? new Hit(0, score, rows.imageIds()[i], rows.texts()[i], -1, null)
                : new Hit(0, score, rows.imageIds()[i], null, rows.captionIndex()[i], rows.texts()[i]);
    }

    private record Candidate(float score, long order, Hit hit) {
    }
}
